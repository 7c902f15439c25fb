import { adminAuditLog, adminBatches } from '@conveyor/db/schema';
import { QueueName } from '@conveyor/queue-contracts';
import { createRedis } from '@conveyor/runtime/redis';
import { waitUntil } from '@conveyor/test-harness/ports';
import { QueueEvents } from 'bullmq';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchView } from '../../../src/batches/batch-view.js';
import {
  as,
  failingFirstRun,
  startAdminApp,
  type AdminTestApp,
  type ErrorBody,
} from '../../helpers/admin-app.js';
import { minutesAgo, seedJobRuns } from '../../helpers/jobs-fixtures.js';
import { batchEnd } from './helpers.js';

let t: AdminTestApp;

beforeAll(async () => {
  t = await startAdminApp();
  // Fails each job's first run and completes every later one: a cause of failure fixed before
  // the admin retried them all.
  await t.startWorker(QueueName.mediaPreview, failingFirstRun());
});
afterAll(async () => {
  await t.close();
});

const preview = () => t.queue(QueueName.mediaPreview);
const bulkRetry = (body: unknown) => as(t.app, 'root').post('/api/admin/jobs/bulk/retry', body);

/** `count` jobs that really failed in BullMQ, and their registry rows (`failed`). */
async function failedJobs(prefix: string, count: number, ownerId: string): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  await preview().addBulk(
    ids.map((jobId) => ({ name: 'test.preview', data: {}, opts: { jobId, attempts: 1 } })),
  );
  await waitUntil(async () => (await preview().getFailedCount()) >= count, {
    what: `${count} jobs to fail`,
    timeoutMs: 30_000,
  });
  await seedJobRuns(
    t.deps,
    ids.map((jobId, i) => ({
      jobId,
      queue: QueueName.mediaPreview,
      name: 'test.preview',
      ownerId,
      state: 'failed' as const,
      failedReason: 'first run fails',
      // A few share a creation time, so the walk's tie-break is exercised too.
      createdAt: minutesAgo(Math.floor(i / 3)),
    })),
  );
  return ids;
}

describe('POST /api/admin/jobs/bulk/retry', () => {
  it('retries 1 000 failed jobs, reporting batch progress, and ends with 1 000 retried', async () => {
    const ids = await failedJobs('bulk', 1_000, 'bulk-owner');
    const events = new QueueEvents(QueueName.adminBulk, {
      connection: createRedis(t.deps.config.REDIS_URL, 'worker'),
      prefix: t.prefix,
    });
    const progress: unknown[] = [];
    events.on('progress', ({ data }) => progress.push(data));
    await events.waitUntilReady();
    try {
      const response = await bulkRetry({ queue: QueueName.mediaPreview, ownerId: 'bulk-owner' });
      expect(response.statusCode).toBe(202);
      const started = response.json<{ success: true; data: BatchView }>();
      expect(started).toMatchObject({
        success: true,
        data: {
          kind: 'bulk-retry',
          state: 'queued',
          total: null,
          completed: 0,
          percent: 0,
          estimatedSecondsRemaining: null,
          startedAt: null,
          finishedAt: null,
          counts: { succeeded: 0, skipped: 0, failed: 0 },
          adminId: 'root',
          filter: { queue: QueueName.mediaPreview, ownerId: 'bulk-owner' },
          error: null,
        },
      });
      const batchId = started.data.id;

      const seen: BatchView[] = [];
      const end = await batchEnd(t.app, batchId, (view) => seen.push(view));
      expect(end).toMatchObject({
        state: 'completed',
        total: 1_000,
        completed: 1_000,
        percent: 100,
        estimatedSecondsRemaining: null,
        counts: { succeeded: 1_000, skipped: 0, failed: 0 },
      });
      expect(end.startedAt).not.toBeNull();
      expect(end.finishedAt).not.toBeNull();
      // Every page (200 rows by default) reported its progress through the BullMQ job.
      await waitUntil(() => progress.length === 5, { what: 'five progress events' });
      expect(progress).toStrictEqual(
        [200, 400, 600, 800, 1_000].map((completed) => ({ total: 1_000, completed })),
      );
      // The REST views only ever moved forward.
      const completedSeen = seen.map((view) => view.completed);
      expect(completedSeen).toStrictEqual([...completedSeen].sort((a, b) => a - b));

      // None is failed any more: each ran again, and completed on its second run.
      await waitUntil(async () => (await preview().getCompletedCount()) >= 1_000, {
        what: 'the retried jobs to complete',
        timeoutMs: 30_000,
      });
      const states = await Promise.all(ids.map((id) => preview().getJobState(id)));
      expect(new Set(states)).toStrictEqual(new Set(['completed']));

      const audit = await t.deps.db.db
        .select()
        .from(adminAuditLog)
        .where(eq(adminAuditLog.action, 'bulk-retry'));
      expect(audit).toMatchObject([
        {
          adminId: 'root',
          target: { batchId },
          parameters: { queue: QueueName.mediaPreview, ownerId: 'bulk-owner' },
          outcome: 'started',
          error: null,
        },
      ]);
    } finally {
      await events.close();
    }
  }, 90_000);

  it('skips a job that is no longer failed, and shows percent and counts', async () => {
    const [again, gone, done] = await failedJobs('skip', 3, 'skip-owner');
    // One is retried by hand before the batch comes to it, one is gone from Redis.
    await preview()
      .getJob(gone!)
      .then((job) => job?.remove());
    await (await preview().getJob(done!))?.retry('failed');
    await waitUntil(async () => (await preview().getJobState(done!)) === 'completed', {
      what: 'the hand retry to complete',
    });
    const response = await bulkRetry({ ownerId: 'skip-owner' });
    expect(response.statusCode).toBe(202);
    const end = await batchEnd(t.app, response.json<{ data: BatchView }>().data.id);
    expect(end).toMatchObject({
      state: 'completed',
      total: 3,
      completed: 3,
      counts: { succeeded: 1, skipped: 2, failed: 0 },
    });
    await waitUntil(async () => (await preview().getJobState(again!)) === 'completed', {
      what: 'the retried job to complete',
    });
  });

  it('answers 400 for an empty filter, and for bad or unknown fields', async () => {
    const before = await t.deps.db.db.select().from(adminBatches);
    const empty = await bulkRetry({});
    expect(empty.statusCode).toBe(400);
    const body = empty.json<ErrorBody>();
    expect(body.error).toBe('Invalid request body');
    expect(JSON.stringify(body.details)).toContain('at least one filter field');

    for (const bad of [
      { queue: '' },
      { from: 'yesterday' },
      { q: 'x'.repeat(201) },
      { queueName: QueueName.mediaPreview },
      { ownerId: 'someone', state: 'failed' },
    ]) {
      const response = await bulkRetry(bad);
      expect(response.statusCode, JSON.stringify(bad)).toBe(400);
      expect(response.json<ErrorBody>().error).toBe('Invalid request body');
    }
    expect(await t.deps.db.db.select().from(adminBatches)).toHaveLength(before.length);
  });

  it('answers 404 Queue not found for an unknown queue, and audits the refusal', async () => {
    const response = await bulkRetry({ queue: 'no-such-queue' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toStrictEqual({ success: false, error: 'Queue not found' });
    const refused = await t.deps.db.db
      .select()
      .from(adminAuditLog)
      .where(eq(adminAuditLog.outcome, 'failed'));
    expect(refused).toMatchObject([
      {
        adminId: 'root',
        action: 'bulk-retry',
        parameters: { queue: 'no-such-queue' },
        error: 'Queue not found',
      },
    ]);
  });
});

describe('the cap on the jobs one bulk action may match', () => {
  let capped: AdminTestApp;
  beforeAll(async () => {
    capped = await startAdminApp({ ADMIN_BULK_MAX_JOBS: '2' });
    await seedJobRuns(
      capped.deps,
      ['c-1', 'c-2', 'c-3'].map((jobId) => ({
        jobId,
        state: 'failed' as const,
        ownerId: 'cap',
        name: jobId === 'c-3' ? 'test.other' : 'test.capped',
      })),
    );
  });
  afterAll(async () => {
    await capped.close();
  });

  it('answers 400 with how many matched and the cap, and starts no batch', async () => {
    const response = await as(capped.app, 'root').post('/api/admin/jobs/bulk/retry', {
      ownerId: 'cap',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<ErrorBody>().error).toBe(
      'Too many jobs: the filter matches more than 2 jobs, the most one bulk action may act on; ' +
        'narrow the filter',
    );
    expect(await capped.deps.db.db.select().from(adminBatches)).toHaveLength(0);
  });

  it('takes a filter that matches exactly the cap', async () => {
    await capped.deps.db.db.delete(adminBatches);
    const response = await as(capped.app, 'root').post('/api/admin/jobs/bulk/retry', {
      ownerId: 'cap',
      name: 'test.capped',
    });
    expect(response.statusCode).toBe(202);
    const end = await batchEnd(capped.app, response.json<{ data: BatchView }>().data.id);
    // The registry rows have no BullMQ job behind them: each is skipped, none fails.
    expect(end).toMatchObject({ state: 'completed', total: 2, counts: { skipped: 2 } });
  });
});
