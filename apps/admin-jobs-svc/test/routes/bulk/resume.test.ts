import { adminBatches } from '@conveyor/db/schema';
import { createJobCanceller } from '@conveyor/job-events/cancel';
import { QueueName } from '@conveyor/queue-contracts';
import { createProducer, type Producer } from '@conveyor/queue-contracts/producer';
import { waitUntil } from '@conveyor/test-harness/ports';
import { UnrecoverableError } from 'bullmq';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkBatchView } from '../../../src/batches/batch-view.js';
import { runBatch, type BatchJob, type BatchRunnerDeps } from '../../../src/bulk/run-batch.js';
import { startAdminApp, type AdminTestApp } from '../../helpers/admin-app.js';
import { minutesAgo, seedJobRuns } from '../../helpers/jobs-fixtures.js';

let t: AdminTestApp;
let producer: Producer;
let deps: BatchRunnerDeps;

beforeAll(async () => {
  t = await startAdminApp();
  producer = createProducer({ connection: t.deps.redis, prefix: t.prefix });
  const db = t.deps.db.db;
  deps = {
    db,
    producer,
    cancel: createJobCanceller({ producer, redis: t.deps.redis, prefix: t.prefix, db }),
    pageSize: 2,
    maxJobs: 100,
  };
  // Every job fails: the batch's retries leave them waiting, since no worker runs after this.
  const worker = await t.startWorker(QueueName.mediaPreview, () =>
    Promise.reject(new Error('fails')),
  );
  const preview = t.queue(QueueName.mediaPreview);
  await preview.addBulk(
    ['r-1', 'r-2', 'r-3', 'r-4', 'r-5'].map((jobId) => ({
      name: 'test.preview',
      data: {},
      opts: { jobId, attempts: 1 },
    })),
  );
  await waitUntil(async () => (await preview.getFailedCount()) === 5, { what: 'five failures' });
  await worker.close();
  await seedJobRuns(
    t.deps,
    ['r-1', 'r-2', 'r-3', 'r-4', 'r-5'].map((jobId, i) => ({
      jobId,
      queue: QueueName.mediaPreview,
      name: 'test.preview',
      ownerId: 'resumer',
      state: 'failed' as const,
      createdAt: minutesAgo(i),
    })),
  );
});
afterAll(async () => {
  await producer.close();
  await t.close();
});

/** The processor's BullMQ job, recording the progress it reports. */
function jobOf(attemptsMade = 1): BatchJob & { progress: unknown[] } {
  const progress: unknown[] = [];
  return {
    progress,
    attemptsMade,
    opts: { attempts: 3 },
    updateProgress: (value: unknown) => {
      progress.push(value);
      return Promise.resolve();
    },
  };
}

const stateOf = (jobId: string) => t.queue(QueueName.mediaPreview).getJobState(jobId);

describe('runBatch, the admin.bulk processor', () => {
  it('resumes from the cursor with the counts it had, and counts a repeated job skipped', async () => {
    const db = t.deps.db.db;
    // A crashed run dealt with r-1 and r-2 (saved), and had retried r-3 before it died.
    await t
      .queue(QueueName.mediaPreview)
      .getJob('r-3')
      .then((job) => job?.retry('failed'));
    const [batch] = await db
      .insert(adminBatches)
      .values({
        action: 'retry',
        adminId: 'root',
        filter: { ownerId: 'resumer' },
        state: 'running',
        // Not 5: a resumed batch keeps the total it counted on its first run.
        total: 6,
        processed: 2,
        succeeded: 2,
        cursor: {
          createdAt: minutesAgo(1).toISOString(),
          queue: QueueName.mediaPreview,
          jobId: 'r-2',
        },
        startedAt: minutesAgo(1),
      })
      .returning();
    const job = jobOf();

    const result = await runBatch(deps, batch!.id, job, new AbortController().signal);

    expect(result).toStrictEqual({ processed: 5, succeeded: 4, skipped: 1, failed: 0 });
    // r-1 and r-2 are before the cursor: untouched, still failed.
    expect(await stateOf('r-1')).toBe('failed');
    expect(await stateOf('r-2')).toBe('failed');
    for (const id of ['r-3', 'r-4', 'r-5']) expect(await stateOf(id)).toBe('waiting');
    // Pages of two: r-3 and r-4, then r-5.
    expect(job.progress).toStrictEqual([
      { total: 6, completed: 4 },
      { total: 6, completed: 5 },
    ]);
    const [row] = await db.select().from(adminBatches).where(eq(adminBatches.id, batch!.id));
    expect(row).toMatchObject({
      state: 'completed',
      total: 6,
      processed: 5,
      cursor: { queue: QueueName.mediaPreview, jobId: 'r-5' },
    });
    expect(row!.finishedAt).toBeInstanceOf(Date);
    expect(bulkBatchView(row!)).toMatchObject({ percent: 100, estimatedSecondsRemaining: null });
    // A batch already ended is not run again.
    expect(await runBatch(deps, batch!.id, jobOf(), new AbortController().signal)).toStrictEqual(
      result,
    );
  });

  it('counts its total on its first run, and stops between pages when cancelled', async () => {
    const db = t.deps.db.db;
    const [batch] = await db
      .insert(adminBatches)
      .values({ action: 'retry', adminId: 'root', filter: { ownerId: 'resumer' } })
      .returning();
    const controller = new AbortController();
    const job = jobOf();
    job.updateProgress = (value: unknown) => {
      job.progress.push(value);
      controller.abort(new Error('Cancelled'));
      return Promise.resolve();
    };

    await expect(runBatch(deps, batch!.id, job, controller.signal)).rejects.toThrow('Cancelled');

    // The registry (no consumer runs here) still lists all five failed: the total is 5, and
    // the cancel, heard after the first page (r-1 and r-2, failed in Redis), stops the walk.
    expect(job.progress).toStrictEqual([{ total: 5, completed: 2 }]);
    expect(await stateOf('r-1')).toBe('waiting');
    expect(await stateOf('r-2')).toBe('waiting');
    const [row] = await db.select().from(adminBatches).where(eq(adminBatches.id, batch!.id));
    expect(row).toMatchObject({
      state: 'failed',
      error: 'Cancelled',
      total: 5,
      processed: 2,
      succeeded: 2,
    });
  });

  it('fails without retries for a batch that does not exist', async () => {
    await expect(
      runBatch(deps, '00000000-0000-4000-8000-000000000000', jobOf(), new AbortController().signal),
    ).rejects.toBeInstanceOf(UnrecoverableError);
  });
});
