import { adminAuditLog, jobRuns } from '@conveyor/db/schema';
import { CANCELLED_REASON } from '@conveyor/queue-contracts';
import { waitUntil } from '@conveyor/test-harness/ports';
import type { RunningProcess } from '@conveyor/test-harness/processes';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  as,
  seedJobRuns,
  sleepJob,
  startAdmin,
  startSleepWorker,
  type TestAdmin,
} from '../../helpers/jobs-fixtures.js';

let t: TestAdmin;

beforeAll(async () => {
  t = await startAdmin();
});
afterAll(async () => {
  await t.close();
});

const cancel = (jobId: string, queue: string = sleepJob.queue) =>
  as(t.app, 'root').post(`/api/admin/jobs/jobs/${queue}/${jobId}/cancel`);
const auditOf = (jobId: string) =>
  t.deps.db.db
    .select()
    .from(adminAuditLog)
    .where(
      and(
        eq(adminAuditLog.action, 'cancel'),
        eq(adminAuditLog.target, { queue: sleepJob.queue, jobId }),
      ),
    );

describe('a job that has not started (no worker runs yet)', () => {
  it('is removed from its queue, shows failed with Cancelled, and is audited', async () => {
    await seedJobRuns(t.deps, [{ jobId: 'w-1', ownerId: 'alice', state: 'waiting' }]);
    await t.queue.add(sleepJob.name, { ms: 0 }, { jobId: 'w-1' });
    const response = await cancel('w-1');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({
      success: true,
      data: { queue: sleepJob.queue, jobId: 'w-1', outcome: 'removed' },
    });
    expect(await t.queue.getJob('w-1')).toBeUndefined();
    const [row] = await t.deps.db.db.select().from(jobRuns).where(eq(jobRuns.jobId, 'w-1'));
    expect(row).toMatchObject({ state: 'failed', failedReason: CANCELLED_REASON });
    expect(await auditOf('w-1')).toMatchObject([
      { adminId: 'root', outcome: 'succeeded', parameters: {}, error: null },
    ]);
  });

  it('removes a delayed job the registry has not seen yet', async () => {
    await t.queue.add(sleepJob.name, { ms: 0 }, { jobId: 'd-1', delay: 60_000 });
    const response = await cancel('d-1');
    expect(response.json()).toMatchObject({ data: { outcome: 'removed' } });
    expect(await t.queue.getJob('d-1')).toBeUndefined();
  });

  it('answers 409 Job already finished to a finished job, and audits the refusal', async () => {
    await seedJobRuns(t.deps, [{ jobId: 'done-1', state: 'completed' }]);
    const response = await cancel('done-1');
    expect(response.statusCode).toBe(409);
    expect(response.json()).toStrictEqual({ success: false, error: 'Job already finished' });
    expect(await auditOf('done-1')).toMatchObject([
      { adminId: 'root', outcome: 'failed', error: 'Job already finished' },
    ]);
  });

  it('answers 404 Job not found and 404 Queue not found, and audits the refusal', async () => {
    const missing = await cancel('no-such-job');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toStrictEqual({ success: false, error: 'Job not found' });
    const queue = await cancel('w-1', 'no-such-queue');
    expect(queue.statusCode).toBe(404);
    expect(queue.json()).toStrictEqual({ success: false, error: 'Queue not found' });
    expect(await auditOf('no-such-job')).toMatchObject([
      { adminId: 'root', outcome: 'failed', error: 'Job not found' },
    ]);
  });
});

describe('a job running in a worker process of its own', () => {
  let worker: RunningProcess;

  beforeAll(async () => {
    worker = await startSleepWorker(t);
  }, 40_000);
  afterAll(async () => {
    await worker.stop();
  });

  it('is stopped within a second and ends failed with Cancelled, not retried', async () => {
    await t.queue.add(sleepJob.name, { ms: 30_000 }, { jobId: 'run-1', attempts: 3 });
    await waitUntil(async () => (await t.queue.getJobState('run-1')) === 'active', {
      what: 'the job to start',
    });

    const asked = performance.now();
    const response = await cancel('run-1');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({
      success: true,
      data: { queue: sleepJob.queue, jobId: 'run-1', outcome: 'signalled' },
    });
    await waitUntil(async () => (await t.queue.getJobState('run-1')) === 'failed', {
      what: 'the job to fail',
      timeoutMs: 1_000,
      intervalMs: 20,
    });
    expect(performance.now() - asked).toBeLessThan(1_000);

    const detail = await as(t.app, 'root').get(`/api/admin/jobs/jobs/${sleepJob.queue}/run-1`);
    expect(detail.json()).toMatchObject({
      data: {
        state: 'failed',
        failedReason: CANCELLED_REASON,
        attemptsMade: 1,
        logs: { lines: ['sleeping 30000 ms'] },
      },
    });
    expect(await auditOf('run-1')).toMatchObject([{ adminId: 'root', outcome: 'succeeded' }]);
  });
});
