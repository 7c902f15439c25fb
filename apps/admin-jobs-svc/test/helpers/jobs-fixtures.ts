import { fileURLToPath } from 'node:url';
import { jobRuns, users, type NewJobRun } from '@conveyor/db/schema';
import { QueueName, type JobDefinition } from '@conveyor/queue-contracts';
import type { Role } from '@conveyor/service-kit/claims';
import { bearer, createTestDeps, testToken, type TestDeps } from '@conveyor/service-kit/testing';
import { waitUntil } from '@conveyor/test-harness/ports';
import { startEntryPoint, type RunningProcess } from '@conveyor/test-harness/processes';
import { deleteKeysWithPrefix, testPrefix } from '@conveyor/test-harness/redis';
import { Queue } from 'bullmq';
import { z } from 'zod';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';

export type App = Awaited<ReturnType<typeof buildApp>>;

/**
 * The test job, on the queue media previews use (no worker of the platform runs in these
 * tests): it sleeps `ms`, stopping early when cancelled, and fails with `fail` if set.
 */
export const sleepJob = {
  queue: QueueName.mediaPreview,
  name: 'test.admin-sleep',
  payload: z.object({ ms: z.number().int().min(0).max(60_000), fail: z.string().optional() }),
  result: z.object({ slept: z.number() }),
  options: { attempts: 3, backoff: { type: 'fixed', delay: 60_000 } },
  userSubmittable: false,
} satisfies JobDefinition;

export interface TestAdmin {
  app: App;
  deps: TestDeps<Config>;
  /** The BullMQ prefix of this test file, deleted by `close`. */
  prefix: string;
  /** The test job's queue. */
  queue: Queue;
  close: () => Promise<void>;
}

/** The service on a database and a BullMQ prefix of its own. */
export async function startAdmin(): Promise<TestAdmin> {
  const prefix = testPrefix();
  const deps = await createTestDeps(loadConfig, { BULL_PREFIX: prefix });
  const app = await buildApp(deps);
  await app.ready();
  const queue = new Queue(sleepJob.queue, { connection: deps.redis, prefix });
  return {
    app,
    deps,
    prefix,
    queue,
    close: async () => {
      await app.close();
      await queue.close();
      await deleteKeysWithPrefix(deps.config.REDIS_URL, prefix);
      await deps.cleanup();
    },
  };
}

/** Requests as one user, an ADMIN unless told: `as(app, 'root').get(url)`. */
export function as(app: App, sub: string, role: Role = 'ADMIN') {
  const headers = bearer(testToken(sub, role));
  return {
    get: (url: string) => app.inject({ method: 'GET', url, headers }),
    post: (url: string) => app.inject({ method: 'POST', url, headers }),
  };
}

export async function seedUsers(deps: TestDeps<Config>, ...ids: string[]) {
  await deps.db.db
    .insert(users)
    .values(ids.map((id) => ({ id, role: 'VIEWER' as const })))
    .onConflictDoNothing();
}

export type JobRunSeed = Partial<NewJobRun> & { jobId: string };

/** Registry rows written directly, as the registry consumer would have written them. */
export async function seedJobRuns(deps: TestDeps<Config>, rows: JobRunSeed[]) {
  const owners = rows.flatMap((row) => (row.ownerId ? [row.ownerId] : []));
  if (owners.length > 0) await seedUsers(deps, ...new Set(owners));
  await deps.db.db
    .insert(jobRuns)
    .values(rows.map((row) => ({ queue: sleepJob.queue, name: sleepJob.name, ...row })));
}

/** A timestamp `minutes` before a fixed instant, for fixtures that need a known order. */
export const minutesAgo = (minutes: number) =>
  new Date(Date.UTC(2025, 9, 18, 12, 0, 0) - minutes * 60_000);

/** The error envelope, for typed reads of `response.json<ErrorBody>()`. */
export interface ErrorBody {
  success: false;
  error: string;
  details?: unknown;
}

/**
 * The sleep worker (`routes/jobs/fixtures/sleep-worker.ts`) as a process of its own on the
 * test's Redis and prefix, so cancel requests reach it through Redis as in production.
 * Resolves once it consumes; the caller stops it.
 */
export async function startSleepWorker(t: {
  deps: { config: { REDIS_URL: string } };
  prefix: string;
}): Promise<RunningProcess> {
  const worker = startEntryPoint(
    fileURLToPath(new URL('../routes/jobs/fixtures/sleep-worker.ts', import.meta.url)),
    { REDIS_URL: t.deps.config.REDIS_URL, BULL_PREFIX: t.prefix },
  );
  await waitUntil(() => worker.output().includes('sleep worker ready'), {
    what: 'the worker process to start',
    timeoutMs: 30_000,
  });
  return worker;
}
