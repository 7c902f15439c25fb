import type { QueueName } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { JobEvent } from './events.js';

/** How a job ended, from its final event or from BullMQ itself. */
export interface JobEnding {
  state: 'completed' | 'failed';
  result: unknown;
  failedReason: string | null;
  /** Epoch milliseconds. */
  at: number;
}

export interface JobEndWatcherDeps {
  producer: Producer;
  /** Listens to the job's events (a job event hub's); answers the unsubscribe. */
  subscribe: (queue: QueueName, jobId: string, listener: (event: JobEvent) => void) => () => void;
}

export interface UntilEndedOptions {
  timeoutMs: number;
  /** Aborted when the caller goes away: the wait ends at once and nothing more is read. */
  signal: AbortSignal;
}

function endingOf(event: JobEvent): JobEnding | null {
  if (event.type === 'completed') {
    return { state: 'completed', result: event.result ?? null, failedReason: null, at: event.at };
  }
  if (event.type === 'failed' && event.willRetry !== true) {
    return { state: 'failed', result: null, failedReason: event.failedReason ?? '', at: event.at };
  }
  return null;
}

/**
 * The heart of spec 003's long polls: resolves with how a job ended once it has (at once if
 * it already had), or null at the timeout or when the caller goes away. It holds no database
 * connection while it waits: it listens to the job's events, and asks BullMQ once, after
 * subscribing, for an ending that came before the subscription did.
 */
export function createJobEndWatcher(deps: JobEndWatcherDeps) {
  /** BullMQ's own answer, for an ending whose event came before the subscription did. */
  async function endedInQueue(queue: QueueName, jobId: string): Promise<JobEnding | null> {
    const job = await deps.producer.queue(queue).getJob(jobId);
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

  return function untilEnded(
    job: { queue: QueueName; jobId: string },
    { timeoutMs, signal }: UntilEndedOptions,
  ): Promise<JobEnding | null> {
    return new Promise((resolve, reject) => {
      const cleanUp = () => {
        unsubscribe();
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      // The first of event, timeout, abort and BullMQ's answer decides; cleanUp makes the
      // others no-ops (a promise settles once).
      const finish = (ending: JobEnding | null) => {
        cleanUp();
        resolve(ending);
      };
      const onAbort = () => finish(null);
      const unsubscribe = deps.subscribe(job.queue, job.jobId, (event) => {
        const ending = endingOf(event);
        if (ending) finish(ending);
      });
      const timer = setTimeout(onAbort, timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      // Subscribed first, then asked: an ending is either in BullMQ already or still to come.
      endedInQueue(job.queue, job.jobId).then(
        (ending) => ending && finish(ending),
        (error: Error) => {
          cleanUp();
          reject(error);
        },
      );
    });
  };
}

export type JobEndWatcher = ReturnType<typeof createJobEndWatcher>;
