import type { JobRun } from '@conveyor/db/schema';
import { eventsStreamKey } from '@conveyor/job-events/events';
import {
  CANCELLED_REASON,
  encodeJobCancelRequest,
  isQueueName,
  jobCancelChannel,
  type QueueName,
} from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { Redis } from 'ioredis';
import type { JobsRepository } from '../plugins/jobs-repository.js';
import { isFinished } from './job-view.js';

/**
 * - `removed`: it had not started, and is gone from its queue.
 * - `signalled`: it runs; the worker holding it was asked to abort it.
 * - `finished`: it had already completed or failed (or Redis no longer holds it).
 */
export type CancelOutcome = 'removed' | 'signalled' | 'finished';

export interface CancelDeps {
  producer: Producer;
  /** A fail-fast connection to publish on. */
  redis: Redis;
  /** The BullMQ key prefix, which the cancel channel is named under. */
  prefix: string;
  jobs: JobsRepository;
}

/**
 * Cancels a job the caller owns. BullMQ's state decides, not the registry's, which may lag:
 * a job that has not started is removed from its queue, and a running one is aborted through
 * its worker (queue-contracts' cancel channel, which worker-kit's workers listen on), which
 * fails it with `Cancelled` without retrying.
 */
export function createJobCanceller(deps: CancelDeps) {
  // Every worker instance of every queue hears it and the one holding the job aborts it, so
  // PUBLISH's count of listeners says nothing about this job and is not looked at.
  const signal = (row: JobRun) =>
    deps.redis.publish(
      jobCancelChannel(deps.prefix),
      encodeJobCancelRequest({ queue: row.queue, jobId: row.jobId }),
    );

  /** The id of the newest entry of the queue's events stream, which the removal's is among. */
  const newestEventId = async (queue: QueueName): Promise<string | null> => {
    const [newest] = await deps.redis.xrevrange(
      eventsStreamKey(deps.prefix, queue),
      '+',
      '-',
      'COUNT',
      1,
    );
    return newest?.[0] ?? null;
  };

  return async function cancel(row: JobRun): Promise<CancelOutcome> {
    if (isFinished(row.state) || !isQueueName(row.queue)) return 'finished';
    const queue = deps.producer.queue(row.queue);
    const state = await queue.getJobState(row.jobId);
    if (state === 'completed' || state === 'failed' || state === 'unknown') return 'finished';
    if (state === 'active') {
      await signal(row);
      return 'signalled';
    }
    // BullMQ removes nothing a worker holds, so a job taken since the state was read stays.
    if ((await queue.remove(row.jobId)) === 1) {
      await deps.jobs.markRemoved(row, CANCELLED_REASON, await newestEventId(row.queue));
      return 'removed';
    }
    const now = await queue.getJobState(row.jobId);
    if (now !== 'active') return 'finished';
    await signal(row);
    return 'signalled';
  };
}

export type JobCanceller = ReturnType<typeof createJobCanceller>;
