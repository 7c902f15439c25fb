import { createRegistryConsumer } from '@conveyor/job-events/registry';
import { waitUntil } from '@conveyor/test-harness/ports';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  as,
  registryCaughtUp,
  retryingSleepJob,
  seedJobRuns,
  sleepJob,
  startApp,
  submit,
  type JobStatusBody,
  type TestApp,
} from '../../helpers/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t.close();
});

const cancel = (user: string, jobId: string) => as(t.app, user).post(`/api/jobs/${jobId}/cancel`);
const status = async (user: string, jobId: string) =>
  (await as(t.app, user).get(`/api/jobs/${jobId}`)).json<JobStatusBody>().data;
const cancelled = (jobId: string) => ({ success: true, data: { jobId, status: 'cancelled' } });

describe('a job that has not started (no worker runs yet)', () => {
  it('is removed from its queue and shows failed with Cancelled at once', async () => {
    const jobId = await submit(t.app, 'alice', { ms: 0 });
    const response = await cancel('alice', jobId);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual(cancelled(jobId));
    expect(await t.queue.getJob(jobId)).toBeUndefined();
    const job = await status('alice', jobId);
    expect(job).toMatchObject({ state: 'failed', failedReason: 'Cancelled' });
    expect(job.timestamp.finished).toBeGreaterThanOrEqual(job.timestamp.created);
  });

  it('stays Cancelled once the job’s events, the removal’s among them, reach the registry', async () => {
    const jobId = await submit(t.app, 'alice', { ms: 0 });
    await cancel('alice', jobId);
    await registryCaughtUp(t);
    expect(await status('alice', jobId)).toMatchObject({
      state: 'failed',
      failedReason: 'Cancelled',
    });
  });

  it('stays Cancelled when the registry applies the job’s earlier events only afterwards', async () => {
    // A registry that has read nothing yet: it starts after the cancel and replays from 0.
    const behind = await startApp({ JOB_REGISTRY_CONSUMER: 'false' });
    const consumer = createRegistryConsumer({
      redisUrl: behind.deps.config.REDIS_URL,
      db: behind.deps.db.db,
      prefix: behind.prefix,
      queues: [sleepJob.queue],
      consumer: 'late',
      logger: behind.deps.logger,
    });
    try {
      const jobId = await submit(behind.app, 'alice', { ms: 0 });
      expect((await as(behind.app, 'alice').post(`/api/jobs/${jobId}/cancel`)).statusCode).toBe(
        200,
      );
      await consumer.start();
      await registryCaughtUp(behind);
      const job = (await as(behind.app, 'alice').get(`/api/jobs/${jobId}`)).json<JobStatusBody>();
      expect(job.data).toMatchObject({ state: 'failed', failedReason: 'Cancelled' });
    } finally {
      await consumer.stop();
      await behind.close();
    }
  });

  it('answers 404 Job not found to another user, and leaves the job queued', async () => {
    const jobId = await submit(t.app, 'alice', { ms: 0 });
    const response = await cancel('bob', jobId);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toStrictEqual({ success: false, error: 'Job not found' });
    expect(await t.queue.getJobState(jobId)).toBe('waiting');
  });

  it('answers 404 Job not found to an unknown id', async () => {
    const response = await cancel('alice', '00000000-0000-4000-8000-000000000000');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toStrictEqual({ success: false, error: 'Job not found' });
  });

  it('answers 409 Job already finished when Redis no longer holds the job', async () => {
    await seedJobRuns(t.deps, 'alice', [{ jobId: 'gone-from-redis', state: 'waiting' }]);
    const response = await cancel('alice', 'gone-from-redis');
    expect(response.statusCode).toBe(409);
    expect(response.json()).toStrictEqual({ success: false, error: 'Job already finished' });
  });
});

describe('with a worker', () => {
  beforeAll(async () => {
    await t.startWorker();
  });

  it('aborts a running job through its worker: failed, Cancelled, not retried', async () => {
    const jobId = await submit(t.app, 'alice', { ms: 30_000 }, retryingSleepJob.name);
    await waitUntil(async () => (await t.queue.getJobState(jobId)) === 'active', {
      what: 'job start',
    });
    const response = await cancel('alice', jobId);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual(cancelled(jobId));

    await waitUntil(async () => (await status('alice', jobId)).state === 'failed', {
      what: 'the registry to show the job failed',
      timeoutMs: 5_000,
    });
    expect(await status('alice', jobId)).toMatchObject({ failedReason: 'Cancelled' });
    const job = await t.queue.getJob(jobId);
    expect(await job?.getState()).toBe('failed');
    // Three attempts were allowed; a cancelled job uses no more.
    expect(job?.attemptsMade).toBe(1);
  });

  it('removes a job waiting between attempts (delayed) and shows it Cancelled', async () => {
    const jobId = await submit(t.app, 'alice', { ms: 0, fail: 'flaky' }, retryingSleepJob.name);
    await waitUntil(async () => (await t.queue.getJobState(jobId)) === 'delayed', {
      what: 'the retry to wait',
    });
    const response = await cancel('alice', jobId);
    expect(response.json()).toStrictEqual(cancelled(jobId));
    expect(await t.queue.getJob(jobId)).toBeUndefined();
    expect(await status('alice', jobId)).toMatchObject({
      state: 'failed',
      failedReason: 'Cancelled',
    });
  });

  it('answers 404 to another user for a running job, and leaves it running', async () => {
    const jobId = await submit(t.app, 'alice', { ms: 1_000 });
    await waitUntil(async () => (await t.queue.getJobState(jobId)) === 'active', {
      what: 'job start',
    });
    expect((await cancel('bob', jobId)).statusCode).toBe(404);
    await waitUntil(async () => (await t.queue.getJobState(jobId)) === 'completed', {
      what: 'job end',
    });
  });

  it.each([
    ['completed', {}],
    ['failed', { fail: 'broken' }],
  ])('answers 409 Job already finished for a %s job', async (state, data) => {
    const jobId = await submit(t.app, 'alice', { ms: 0, ...data });
    await waitUntil(async () => (await status('alice', jobId)).state === state, {
      what: `the job to be ${state}`,
    });
    const response = await cancel('alice', jobId);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toStrictEqual({ success: false, error: 'Job already finished' });
  });
});
