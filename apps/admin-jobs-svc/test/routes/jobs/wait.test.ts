import type { RunningProcess } from '@conveyor/test-harness/processes';
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
let worker: RunningProcess;

beforeAll(async () => {
  t = await startAdmin();
  worker = await startSleepWorker(t);
}, 40_000);
afterAll(async () => {
  await worker.stop();
  await t.close();
});

const wait = (jobId: string, query = '', queue: string = sleepJob.queue) =>
  as(t.app, 'root').get(`/api/admin/jobs/jobs/${queue}/${jobId}/wait${query}`);

describe('GET /api/admin/jobs/jobs/:queueName/:jobId/wait', () => {
  it('answers within 100 ms of a system job completing, with the detail', async () => {
    await t.queue.add(sleepJob.name, { ms: 400 }, { jobId: 'sys-1' });
    const response = await wait('sys-1', '?timeout=10');
    const answered = Date.now();
    const finishedOn = (await t.queue.getJob('sys-1'))!.finishedOn!;
    expect(answered - finishedOn).toBeLessThan(100);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      success: true,
      data: {
        jobId: 'sys-1',
        ownerId: null,
        state: 'completed',
        result: { slept: 400 },
        finishedAt: new Date(finishedOn).toISOString(),
      },
    });
  });

  it('answers with the final failure and its reason', async () => {
    await t.queue.add(sleepJob.name, { ms: 50, fail: 'out of disk' }, { jobId: 'fail-1' });
    const response = await wait('fail-1', '?timeout=10');
    expect(response.json()).toMatchObject({
      data: { state: 'failed', failedReason: 'out of disk' },
    });
  });

  it('answers at once for a finished job', async () => {
    await seedJobRuns(t.deps, [{ jobId: 'old-1', ownerId: 'alice', state: 'completed' }]);
    const started = Date.now();
    const response = await wait('old-1', '?timeout=10');
    expect(Date.now() - started).toBeLessThan(500);
    expect(response.json()).toMatchObject({ data: { jobId: 'old-1', state: 'completed' } });
  });

  it('answers with the current state at the timeout', async () => {
    await t.queue.add(sleepJob.name, { ms: 0 }, { jobId: 'later-1', delay: 60_000 });
    const started = Date.now();
    const response = await wait('later-1', '?timeout=0.3');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(response.json()).toMatchObject({ data: { jobId: 'later-1', state: 'delayed' } });
  });

  it('answers 400 to a timeout over 60 s, and 404 to unknown jobs and queues', async () => {
    const tooLong = await wait('later-1', '?timeout=61');
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toMatchObject({ error: 'Invalid query parameters' });
    const job = await wait('no-such-job', '?timeout=1');
    expect(job.statusCode).toBe(404);
    expect(job.json()).toStrictEqual({ success: false, error: 'Job not found' });
    const queue = await wait('later-1', '?timeout=1', 'no-such-queue');
    expect(queue.statusCode).toBe(404);
    expect(queue.json()).toStrictEqual({ success: false, error: 'Queue not found' });
  });
});
