import { HttpError, notFound } from '@conveyor/service-kit/errors';
import type { Queue } from 'bullmq';

const cannotRetry = () => new HttpError(400, 'Cannot retry job');

/**
 * Moves a failed job back to waiting so a worker runs it again (spec 002 "Retry Failed Job"):
 * 404 `Job not found` when BullMQ no longer holds it, 400 `Cannot retry job` when it is in any
 * other state. The attempts count is kept, not reset: the retry is one more attempt, and the
 * registry shows it as such (attempts made goes up) instead of rewriting the job's history.
 */
export async function retryFailedJob(queue: Queue, jobId: string): Promise<void> {
  const job = await queue.getJob(jobId);
  if (!job) throw notFound('Job');
  if ((await job.getState()) !== 'failed') throw cannotRetry();
  try {
    await job.retry('failed');
  } catch (error) {
    // The job may have moved between the check and the retry (another admin retried it, or
    // its retention removed it); BullMQ's script refuses then, and the client should hear why.
    const state = await queue.getJobState(jobId);
    if (state === 'unknown') throw notFound('Job');
    if (state !== 'failed') throw cannotRetry();
    throw error;
  }
}
