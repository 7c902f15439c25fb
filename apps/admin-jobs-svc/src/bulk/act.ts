import type { JobCanceller } from '@conveyor/job-events/cancel';
import type { QueueName } from '@conveyor/queue-contracts';
import { Job, type Queue } from 'bullmq';

/**
 * What one job's action came to:
 * - `succeeded`: retried, or cancelled (removed, or its worker asked to abort it);
 * - `skipped`: no longer in a state the action applies to (finished, retried or started
 *   meanwhile, gone from Redis), which is also what a page repeated after a crash finds;
 * - `failed`: BullMQ refused the action for a job still in that state; `error` says why.
 */
export type ActOutcome =
  { outcome: 'succeeded' | 'skipped' } | { outcome: 'failed'; error: string };

const succeeded: ActOutcome = { outcome: 'succeeded' };
const skipped: ActOutcome = { outcome: 'skipped' };
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Retries one failed job as the single retry route does (`retry('failed')`: one more attempt).
 * A failure to read the job's state after a refused retry is thrown on: Redis is in trouble,
 * and the batch job should stop and resume from its cursor rather than count every job failed.
 */
export async function retryOne(queue: Queue, jobId: string): Promise<ActOutcome> {
  try {
    const job = await Job.fromId(queue, jobId);
    if (!job) return skipped;
    await job.retry('failed');
    return succeeded;
  } catch (error) {
    if ((await queue.getJobState(jobId)) !== 'failed') return skipped;
    return { outcome: 'failed', error: messageOf(error) };
  }
}

/**
 * Cancels one job through the single cancel route's canceller. Without `terminate`, a job that
 * runs now is skipped; one that starts in the instant between that check and its removal is
 * aborted all the same (BullMQ offers no "remove unless active" that also tells which).
 */
export async function cancelOne(
  cancel: JobCanceller,
  queue: Queue,
  target: { queue: QueueName; jobId: string },
  terminate: boolean,
): Promise<ActOutcome> {
  try {
    if (!terminate && (await queue.getJobState(target.jobId)) === 'active') return skipped;
    return (await cancel(target)) === 'finished' ? skipped : succeeded;
  } catch (error) {
    // As for a retry: a state read that fails too is Redis in trouble, thrown on.
    const state = await queue.getJobState(target.jobId);
    if (state === 'completed' || state === 'failed' || state === 'unknown') return skipped;
    return { outcome: 'failed', error: messageOf(error) };
  }
}
