import { adminAuditLog, jobRuns } from '@conveyor/db/schema';
import { CANCELLED_REASON } from '@conveyor/queue-contracts';
import { waitUntil } from '@conveyor/test-harness/ports';
import type { RunningProcess } from '@conveyor/test-harness/processes';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchView } from '../../../src/batches/batch-view.js';
import {
  type ErrorBody,
  minutesAgo,
  seedJobRuns,
  sleepJob,
  startAdmin,
  startSleepWorker,
  type TestAdmin,
} from '../../helpers/jobs-fixtures.js';
import { as } from '../../helpers/admin-app.js';
import { batchEnd } from './helpers.js';

let t: TestAdmin;

beforeAll(async () => {
  t = await startAdmin();
});
afterAll(async () => {
  await t.close();
});

const bulkCancel = (body: unknown) => as(t.app, 'root').post('/api/admin/jobs/bulk/cancel', body);

async function started(body: unknown): Promise<BatchView> {
  const response = await bulkCancel(body);
  expect(response.statusCode).toBe(202);
  const view = response.json<{ success: true; data: BatchView }>();
  expect(view.success).toBe(true);
  return view.data;
}

describe('POST /api/admin/jobs/bulk/cancel (no worker runs yet)', () => {
  it('removes waiting and delayed jobs and skips those that finished meanwhile', async () => {
    await t.queue.add(sleepJob.name, { ms: 0 }, { jobId: 'bw-1' });
    await t.queue.add(sleepJob.name, { ms: 0 }, { jobId: 'bw-2' });
    await t.queue.add(sleepJob.name, { ms: 0 }, { jobId: 'bd-1', delay: 60_000 });
    await seedJobRuns(t.deps, [
      { jobId: 'bw-1', ownerId: 'carol', state: 'waiting', createdAt: minutesAgo(1) },
      { jobId: 'bw-2', ownerId: 'carol', state: 'waiting', createdAt: minutesAgo(2) },
      { jobId: 'bd-1', ownerId: 'carol', state: 'delayed', createdAt: minutesAgo(3) },
      // The registry has not seen this one end yet; Redis no longer holds it.
      { jobId: 'bgone-1', ownerId: 'carol', state: 'waiting', createdAt: minutesAgo(4) },
      // Finished: not matched at all.
      { jobId: 'bdone-1', ownerId: 'carol', state: 'completed', createdAt: minutesAgo(5) },
    ]);

    const batch = await started({ ownerId: 'carol' });
    expect(batch).toMatchObject({
      kind: 'bulk-cancel',
      state: 'queued',
      adminId: 'root',
      filter: { ownerId: 'carol', terminate: false },
    });
    const end = await batchEnd(t.app, batch.id);
    expect(end).toMatchObject({
      state: 'completed',
      total: 4,
      completed: 4,
      percent: 100,
      counts: { succeeded: 3, skipped: 1, failed: 0 },
    });
    for (const id of ['bw-1', 'bw-2', 'bd-1']) expect(await t.queue.getJob(id)).toBeUndefined();
    const rows = await t.deps.db.db
      .select({ jobId: jobRuns.jobId, state: jobRuns.state, failedReason: jobRuns.failedReason })
      .from(jobRuns)
      .where(inArray(jobRuns.jobId, ['bw-1', 'bw-2', 'bd-1', 'bdone-1']))
      .orderBy(jobRuns.jobId);
    expect(rows).toStrictEqual([
      { jobId: 'bd-1', state: 'failed', failedReason: CANCELLED_REASON },
      { jobId: 'bdone-1', state: 'completed', failedReason: null },
      { jobId: 'bw-1', state: 'failed', failedReason: CANCELLED_REASON },
      { jobId: 'bw-2', state: 'failed', failedReason: CANCELLED_REASON },
    ]);
    const audit = await t.deps.db.db
      .select()
      .from(adminAuditLog)
      .where(eq(adminAuditLog.action, 'bulk-cancel'));
    expect(audit).toMatchObject([
      {
        adminId: 'root',
        target: { batchId: batch.id },
        parameters: { ownerId: 'carol', terminate: false },
        outcome: 'started',
      },
    ]);
  });

  it('answers 400 for an empty filter (terminate alone is no filter) and bad fields', async () => {
    for (const bad of [{}, { terminate: true }, { ownerId: 'x', terminate: 'yes' }, { to: 1 }]) {
      const response = await bulkCancel(bad);
      expect(response.statusCode, JSON.stringify(bad)).toBe(400);
      expect(response.json<ErrorBody>().error).toBe('Invalid request body');
    }
  });

  it('answers 404 Queue not found for an unknown queue', async () => {
    const response = await bulkCancel({ queue: 'no-such-queue', terminate: true });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toStrictEqual({ success: false, error: 'Queue not found' });
  });
});

describe('POST /api/admin/jobs/bulk/cancel of a job running in a worker process', () => {
  let worker: RunningProcess;

  beforeAll(async () => {
    worker = await startSleepWorker(t);
  }, 40_000);
  afterAll(async () => {
    await worker.stop();
  });

  it('leaves it running without terminate, and aborts it with terminate', async () => {
    await t.queue.add(sleepJob.name, { ms: 30_000 }, { jobId: 'brun-1', attempts: 3 });
    await waitUntil(async () => (await t.queue.getJobState('brun-1')) === 'active', {
      what: 'the job to start',
    });
    // The registry still says waiting: BullMQ's state decides, and an active job is skipped.
    await seedJobRuns(t.deps, [{ jobId: 'brun-1', ownerId: 'dave', state: 'waiting' }]);
    const spared = await batchEnd(t.app, (await started({ ownerId: 'dave' })).id);
    expect(spared).toMatchObject({ state: 'completed', total: 1, counts: { skipped: 1 } });
    expect(await t.queue.getJobState('brun-1')).toBe('active');

    await t.deps.db.db.update(jobRuns).set({ state: 'active' }).where(eq(jobRuns.jobId, 'brun-1'));
    const batch = await started({ ownerId: 'dave', terminate: true });
    const end = await batchEnd(t.app, batch.id);
    expect(end).toMatchObject({ state: 'completed', total: 1, counts: { succeeded: 1 } });
    await waitUntil(async () => (await t.queue.getJobState('brun-1')) === 'failed', {
      what: 'the job to be aborted',
      timeoutMs: 2_000,
      intervalMs: 20,
    });
    const job = await t.queue.getJob('brun-1');
    expect(job?.failedReason).toBe(CANCELLED_REASON);
    expect(job?.attemptsMade).toBe(1);
  });
});
