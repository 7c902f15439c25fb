import type { JobEventHub } from '@conveyor/job-events/hub';
import { createJobEndWatcher, type JobEnding } from '@conveyor/job-events/job-end';
import { isFinished } from '@conveyor/job-events/job-state';
import type { QueueName } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { JobDetail, JobDetailReader } from './detail.js';

export interface AdminWaitDeps {
  readDetail: JobDetailReader;
  hub: Pick<JobEventHub, 'subscribeQueueJob'>;
  producer: Producer;
}

export interface AdminWaitOptions {
  timeoutMs: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/**
 * The detail after the job ended. With `removeOnComplete` Redis may drop the job at once and
 * the registry's consumer may not have caught up: until then, the ending says what changed.
 */
function detailAfter(detail: JobDetail, ending: JobEnding | null): JobDetail {
  if (ending === null || isFinished(detail.state)) return detail;
  return {
    ...detail,
    state: ending.state,
    result: ending.result,
    failedReason: ending.failedReason,
    finishedAt: new Date(ending.at).toISOString(),
  };
}

/**
 * Spec 003's long poll on any job, whoever it runs for: its detail once it has ended, or as it
 * stands at the timeout; null for a job neither the registry nor Redis knows. The same watcher
 * as the user jobs API's, listening by queue and id since system jobs' ids repeat across queues.
 */
export function createAdminJobWaiter(deps: AdminWaitDeps) {
  const untilEnded = createJobEndWatcher({
    producer: deps.producer,
    subscribe: (queue, jobId, listener) => deps.hub.subscribeQueueJob(queue, jobId, listener),
  });

  return async function wait(
    queue: QueueName,
    jobId: string,
    options: AdminWaitOptions,
  ): Promise<JobDetail | null> {
    const before = await deps.readDetail(queue, jobId);
    if (!before) return null;
    if (isFinished(before.state)) return before;
    const ending = await untilEnded({ queue, jobId }, options);
    if (options.signal.aborted) return before;
    const after = (await deps.readDetail(queue, jobId)) ?? before;
    return detailAfter(after, ending);
  };
}

export type AdminJobWaiter = ReturnType<typeof createAdminJobWaiter>;
