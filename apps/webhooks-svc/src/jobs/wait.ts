import type { JobRun } from '@conveyor/db/schema';
import type { JobEventHub } from '@conveyor/job-events/hub';
import { createJobEndWatcher, type JobEnding } from '@conveyor/job-events/job-end';
import { isFinished } from '@conveyor/job-events/job-state';
import { isQueueName } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { JobsRepository } from '../plugins/jobs-repository.js';
import { toJobStatus, type JobStatus } from './job-view.js';

export interface WaitDeps {
  jobs: JobsRepository;
  hub: Pick<JobEventHub, 'subscribeJob'>;
  producer: Producer;
}

export interface WaitOptions {
  timeoutMs: number;
  /** Aborted when the client goes away: the wait ends at once and nothing more is read. */
  signal: AbortSignal;
}

/**
 * The status after the job ended. The registry is written from the same event streams as the
 * hub reads, by another consumer that may not have caught up yet: until it has, the ending
 * itself says what changed.
 */
function statusAfter(row: JobRun, ending: JobEnding | null): JobStatus {
  const status = toJobStatus(row);
  if (ending === null || isFinished(row.state)) return status;
  return {
    ...status,
    state: ending.state,
    result: ending.result,
    failedReason: ending.failedReason,
    timestamp: { ...status.timestamp, finished: ending.at },
  };
}

/**
 * Spec 003's long poll: the caller's job once it has ended, or as it stands at the timeout;
 * null for a job that is not the caller's. The wait holds no database connection: it reads the
 * registry before and after, and in between listens to the job's events on the hub.
 */
export function createJobWaiter(deps: WaitDeps) {
  const untilEnded = createJobEndWatcher({
    producer: deps.producer,
    // A user's job ids are UUIDs, unique across queues: the hub routes them by id alone.
    subscribe: (_queue, jobId, listener) => deps.hub.subscribeJob(jobId, listener),
  });

  return async function wait(
    ownerId: string,
    jobId: string,
    options: WaitOptions,
  ): Promise<JobStatus | null> {
    const before = await deps.jobs.find(ownerId, jobId);
    if (!before) return null;
    if (isFinished(before.state)) return toJobStatus(before);
    const ending = isQueueName(before.queue)
      ? await untilEnded({ queue: before.queue, jobId }, options)
      : null;
    if (options.signal.aborted) return toJobStatus(before);
    const after = (await deps.jobs.find(ownerId, jobId)) ?? before;
    return statusAfter(after, ending);
  };
}

export type JobWaiter = ReturnType<typeof createJobWaiter>;
