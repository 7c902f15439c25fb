import type { Database } from '@conveyor/db/client';
import type { JobRun } from '@conveyor/db/schema';
import {
  CANCELLED_REASON,
  encodeJobCancelRequest,
  isQueueName,
  jobCancelChannel,
  type QueueName,
} from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { Redis } from 'ioredis';
import { eventsStreamKey } from './events.js';
import { isFinished } from './job-state.js';
import { markJobRemoved } from './registry/removed.js';

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
  /** The registry, which a removed job is recorded in as failed with `Cancelled`. */
  db: Database;
}

/**
 * The job to cancel; `state` is the registry's, when it has a row, which answers `finished`
 * without asking Redis once the registry has seen the job end.
 */
export type CancelTarget = Pick<JobRun, 'queue' | 'jobId'> & { state?: JobRun['state'] };

/**
 * Cancels a job, for whoever may (the user jobs API checks ownership first, the admin API does
 * not). BullMQ's state decides, not the registry's, which may lag: a job that has not started
 * is removed from its queue, and a running one is aborted through its worker (queue-contracts'
 * cancel channel, which worker-kit's workers listen on), which fails it with `Cancelled`
 * without retrying.
 */
export function createJobCanceller(deps: CancelDeps) {
  // Every worker instance of every queue hears it and the one holding the job aborts it, so
  // PUBLISH's count of listeners says nothing about this job and is not looked at.
  const signal = (job: CancelTarget) =>
    deps.redis.publish(
      jobCancelChannel(deps.prefix),
      encodeJobCancelRequest({ queue: job.queue, jobId: job.jobId }),
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

  return async function cancel(job: CancelTarget): Promise<CancelOutcome> {
    if ((job.state !== undefined && isFinished(job.state)) || !isQueueName(job.queue)) {
      return 'finished';
    }
    const queue = deps.producer.queue(job.queue);
    const state = await queue.getJobState(job.jobId);
    if (state === 'completed' || state === 'failed' || state === 'unknown') return 'finished';
    if (state === 'active') {
      await signal(job);
      return 'signalled';
    }
    // BullMQ removes nothing a worker holds, so a job taken since the state was read stays.
    if ((await queue.remove(job.jobId)) === 1) {
      await markJobRemoved(deps.db, job, CANCELLED_REASON, await newestEventId(job.queue));
      return 'removed';
    }
    const now = await queue.getJobState(job.jobId);
    if (now !== 'active') return 'finished';
    await signal(job);
    return 'signalled';
  };
}

export type JobCanceller = ReturnType<typeof createJobCanceller>;
