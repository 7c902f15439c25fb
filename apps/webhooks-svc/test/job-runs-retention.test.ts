import { jobRuns } from '@conveyor/db/schema';
import type { Logger } from '@conveyor/runtime/logger';
import { createTestDeps, type TestDeps } from '@conveyor/service-kit/testing';
import { waitUntil } from '@conveyor/test-harness/ports';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { createJobRunsRetention, pruneExpiredJobRuns } from '../src/plugins/job-runs-retention.js';
import { seedJobRuns, type JobRunSeed } from './helpers/app.js';

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

/** A logger that keeps what was logged at info, for the prune's count. */
function recordingLogger() {
  const infos: unknown[] = [];
  const logger = {
    info: (fields: unknown) => infos.push(fields),
    warn: () => undefined,
    child: () => logger,
  };
  return { logger: logger as unknown as Logger, infos };
}

/** Past a 30-day retention, inside it, and unfinished however old. */
const expired: JobRunSeed[] = [
  { jobId: 'completed-31-days-ago', state: 'completed', finishedAt: daysAgo(31) },
  { jobId: 'failed-200-days-ago', state: 'failed', finishedAt: daysAgo(200) },
];
const kept: JobRunSeed[] = [
  { jobId: 'completed-29-days-ago', state: 'completed', finishedAt: daysAgo(29) },
  { jobId: 'waiting-since-200-days', state: 'waiting', createdAt: daysAgo(200) },
  { jobId: 'active-since-200-days', state: 'active', startedAt: daysAgo(200) },
];

let deps: TestDeps<Config>;
beforeAll(async () => {
  deps = await createTestDeps(loadConfig);
});
afterAll(async () => {
  await deps.cleanup();
});
beforeEach(async () => {
  await deps.db.db.delete(jobRuns);
});

const remaining = async (db = deps.db.db) =>
  (await db.select({ jobId: jobRuns.jobId }).from(jobRuns)).map((row) => row.jobId).sort();
const keptIds = kept.map((row) => row.jobId).sort();

describe('pruning job_runs', () => {
  it('deletes finished runs past the retention, keeps newer and unfinished ones, logs the count', async () => {
    await seedJobRuns(deps, 'alice', [...expired, ...kept]);
    const { logger, infos } = recordingLogger();
    const deleted = await pruneExpiredJobRuns({ db: deps.db.db, retentionDays: 30, logger });
    expect(deleted).toBe(2);
    expect(await remaining()).toEqual(keptIds);
    expect(infos).toEqual([{ deleted: 2, retentionDays: 30 }]);
  });

  it('prunes at start, again on its timer, and no more once stopped', async () => {
    await seedJobRuns(deps, 'alice', [expired[0]!, ...kept]);
    const retention = createJobRunsRetention({
      db: deps.db.db,
      retentionDays: 30,
      logger: recordingLogger().logger,
      everyMs: 50,
    });
    retention.start();
    try {
      await waitUntil(async () => (await remaining()).length === kept.length);
      await seedJobRuns(deps, 'alice', [expired[1]!]);
      await waitUntil(async () => (await remaining()).length === kept.length);
    } finally {
      await retention.stop();
    }
    await seedJobRuns(deps, 'alice', [expired[0]!]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await remaining()).toContain(expired[0]!.jobId);
  });
});

describe('the app', () => {
  /** The app on a database of its own, seeded before it starts. */
  async function startWith(env: Record<string, string>) {
    const own = await createTestDeps(loadConfig, env);
    await seedJobRuns(own, 'alice', [...expired, ...kept]);
    const app = await buildApp(own);
    await app.ready();
    return {
      own,
      close: async () => {
        await app.close();
        await own.cleanup();
      },
    };
  }

  it('prunes by JOB_RUNS_RETENTION_DAYS once ready when it runs the registry consumer', async () => {
    const { own, close } = await startWith({ JOB_RUNS_RETENTION_DAYS: '30' });
    try {
      await waitUntil(async () => (await remaining(own.db.db)).length === kept.length);
      expect(await remaining(own.db.db)).toEqual(keptIds);
    } finally {
      await close();
    }
  });

  it('leaves job_runs alone where another process runs the consumer', async () => {
    const { own, close } = await startWith({
      JOB_RUNS_RETENTION_DAYS: '30',
      JOB_REGISTRY_CONSUMER: 'false',
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await remaining(own.db.db)).toHaveLength(expired.length + kept.length);
    } finally {
      await close();
    }
  });
});
