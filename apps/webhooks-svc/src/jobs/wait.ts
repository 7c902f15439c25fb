import type { JobRun } from '@conveyor/db/schema';
import type { JobEventHub, OwnedJobEvent } from '@conveyor/job-events/hub';
import { isQueueName } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { JobsRepository } from '../plugins/jobs-repository.js';
import { isFinished, toJobStatus, type JobStatus } from './job-view.js';

/** How a job ended, from its final event or from BullMQ itself. */
interface Ending {
  state: 'completed' | 'failed';
  result: unknown;
  failedReason: string | null;
  /** Epoch milliseconds. */
  at: number;
}

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

function endingOf(event: OwnedJobEvent): Ending | null {
  if (event.type === 'completed') {
    return { state: 'completed', result: event.result ?? null, failedReason: null, at: event.at };
  }
  if (event.type === 'failed' && event.willRetry !== true) {
    return { state: 'failed', result: null, failedReason: event.failedReason ?? '', at: event.at };
  }
  return null;
}

/**
 * The status after the job ended. The registry is written from the same event streams as the
 * hub reads, by another consumer that may not have caught up yet: until it has, the ending
 * itself says what changed.
 */
function statusAfter(row: JobRun, ending: Ending | null): JobStatus {
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
  /** BullMQ's own answer, for an ending whose event came before the subscription did. */
  async function endedInQueue(row: JobRun): Promise<Ending | null> {
    if (!isQueueName(row.queue)) return null;
    const job = await deps.producer.queue(row.queue).getJob(row.jobId);
    if (!job?.finishedOn) return null;
    const state = await job.getState();
    if (state === 'completed') {
      const result: unknown = job.returnvalue ?? null;
      return { state, result, failedReason: null, at: job.finishedOn };
    }
    if (state === 'failed') {
      return { state, result: null, failedReason: job.failedReason ?? '', at: job.finishedOn };
    }
    return null;
  }

  function untilEnded(row: JobRun, { timeoutMs, signal }: WaitOptions): Promise<Ending | null> {
    return new Promise((resolve, reject) => {
      const cleanUp = () => {
        unsubscribe();
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      // The first of event, timeout, abort and BullMQ's answer decides; cleanUp makes the
      // others no-ops (a promise settles once).
      const finish = (ending: Ending | null) => {
        cleanUp();
        resolve(ending);
      };
      const onAbort = () => finish(null);
      const unsubscribe = deps.hub.subscribeJob(row.jobId, (event) => {
        const ending = endingOf(event);
        if (ending) finish(ending);
      });
      const timer = setTimeout(onAbort, timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      // Subscribed first, then asked: an ending is either in BullMQ already or still to come.
      endedInQueue(row).then(
        (ending) => ending && finish(ending),
        (error: Error) => {
          cleanUp();
          reject(error);
        },
      );
    });
  }

  return async function wait(
    ownerId: string,
    jobId: string,
    options: WaitOptions,
  ): Promise<JobStatus | null> {
    const before = await deps.jobs.find(ownerId, jobId);
    if (!before) return null;
    if (isFinished(before.state)) return toJobStatus(before);
    const ending = await untilEnded(before, options);
    if (options.signal.aborted) return toJobStatus(before);
    const after = (await deps.jobs.find(ownerId, jobId)) ?? before;
    return statusAfter(after, ending);
  };
}

export type JobWaiter = ReturnType<typeof createJobWaiter>;
