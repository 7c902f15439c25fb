import { QueueName } from '@conveyor/queue-contracts';
import { waitUntil } from '@conveyor/test-harness/ports';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  as,
  failingFirstRun,
  startAdminApp,
  type AdminTestApp,
  type ErrorBody,
} from '../helpers/admin-app.js';

let t: AdminTestApp;

beforeAll(async () => {
  t = await startAdminApp();
  // Fails each job's first run and completes every later one, as a job whose cause of failure
  // was fixed before an admin retried it.
  await t.startWorker(QueueName.mediaPreview, failingFirstRun());
});
afterAll(async () => {
  await t.close();
});

const queue = () => t.queue(QueueName.mediaPreview);
const retry = (queueName: string, jobId: string) =>
  as(t.app, 'root').post(`/api/admin/jobs/${queueName}/${jobId}/retry`);

async function settled(jobId: string, state: 'completed' | 'failed') {
  await waitUntil(async () => (await queue().getJobState(jobId)) === state, {
    what: `job ${jobId} ${state}`,
  });
}

/** A job of the queue that has failed its one attempt. */
async function failedJob(): Promise<string> {
  const job = await queue().add('test.preview', { n: 1 }, { attempts: 1 });
  await settled(job.id!, 'failed');
  return job.id!;
}

describe('POST /api/admin/jobs/:queueName/:jobId/retry', () => {
  it('runs a failed job again, and it ends completed', async () => {
    const jobId = await failedJob();
    const response = await retry(QueueName.mediaPreview, jobId);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({ success: true, data: { jobId, status: 'retried' } });
    await settled(jobId, 'completed');
    const job = await queue().getJob(jobId);
    expect(job?.returnvalue).toStrictEqual({ run: 2 });
    // One more attempt, counted beside the first rather than in its place.
    expect(job?.attemptsMade).toBe(2);
  });

  it('answers 400 Cannot retry job for a completed job, and leaves it completed', async () => {
    const jobId = await failedJob();
    await retry(QueueName.mediaPreview, jobId);
    await settled(jobId, 'completed');
    const response = await retry(QueueName.mediaPreview, jobId);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toStrictEqual({ success: false, error: 'Cannot retry job' });
    expect(await queue().getJobState(jobId)).toBe('completed');
  });

  it('answers 400 Cannot retry job for a job still waiting', async () => {
    const delayed = await queue().add('test.preview', {}, { delay: 60_000 });
    const response = await retry(QueueName.mediaPreview, delayed.id!);
    expect(response.statusCode).toBe(400);
    expect(response.json<ErrorBody>().error).toBe('Cannot retry job');
    await delayed.remove();
  });

  it('answers 404 Job not found for a job the queue does not hold', async () => {
    const response = await retry(QueueName.mediaPreview, 'no-such-job');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toStrictEqual({ success: false, error: 'Job not found' });
  });

  it('answers 404 Queue not found for an unknown queue', async () => {
    const response = await retry('no-such-queue', '1');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toStrictEqual({ success: false, error: 'Queue not found' });
  });
});
