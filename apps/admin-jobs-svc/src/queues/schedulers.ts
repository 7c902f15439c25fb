import { randomUUID } from 'node:crypto';
import { findJob, type QueueName } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import { notFound } from '@conveyor/service-kit/errors';
import type { JobSchedulerJson, Queue } from 'bullmq';

/** A BullMQ job scheduler, as the admin list shows it. */
export interface SchedulerView {
  queue: QueueName;
  id: string;
  jobName: string;
  /** Cron pattern; null for an `every` scheduler. */
  pattern: string | null;
  /** Milliseconds between runs, for an `every` scheduler; null for a cron one. */
  every: number | null;
  tz: string | null;
  /** When it next runs (ISO 8601); null once it has no run left. */
  nextRun: string | null;
  iterationCount: number | null;
}

const viewOf = (queue: QueueName, scheduler: JobSchedulerJson): SchedulerView => ({
  queue,
  id: scheduler.key,
  jobName: scheduler.name,
  pattern: scheduler.pattern ?? null,
  every: scheduler.every ?? null,
  tz: scheduler.tz ?? null,
  nextRun: scheduler.next ? new Date(scheduler.next).toISOString() : null,
  iterationCount: scheduler.iterationCount ?? null,
});

/** Every scheduler of the queues named, each queue's soonest first. */
export async function listSchedulers(
  queues: Producer,
  names: readonly QueueName[],
): Promise<SchedulerView[]> {
  const perQueue = await Promise.all(
    names.map(async (name) => {
      const schedulers = await queues.queue(name).getJobSchedulers(0, -1, true);
      return schedulers.map((scheduler) => viewOf(name, scheduler));
    }),
  );
  return perQueue.flat();
}

/**
 * Runs a scheduler's job now, once, beside its schedule (which it leaves as it is): a job with
 * the scheduler's template name, data and options under a new id, so it never collides with
 * the scheduler's own next job. A template of a job the contracts know is parsed with its
 * schema first, like every other add, so a stale template cannot enqueue a bad payload.
 * 404 `Scheduler not found`.
 */
export async function triggerScheduler(
  queue: Queue,
  schedulerId: string,
): Promise<{ jobId: string }> {
  const scheduler = await queue.getJobScheduler(schedulerId);
  if (!scheduler) throw notFound('Scheduler');
  const data: unknown = scheduler.template?.data ?? {};
  const definition = findJob(scheduler.name);
  const payload = definition ? definition.payload.parse(data) : data;
  const jobId = `trigger-${randomUUID()}`;
  await queue.add(scheduler.name, payload, { ...scheduler.template?.opts, jobId });
  return { jobId };
}
