import { randomUUID } from 'node:crypto';
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { findJob, jobCatalog, type JobName, type PayloadOf } from './jobs.js';
import type { QueueName } from './queues.js';
import type { Schedule } from './schedules.js';

export interface ProducerOptions {
  /** A fail-fast connection (`enableOfflineQueue: false`) so a request never hangs on Redis. */
  connection: ConnectionOptions;
  /** BullMQ key prefix. @defaultValue `{conveyor}` */
  prefix?: string;
  /** Called with every Queue error; without a listener, errors would be unhandled. */
  onError?: (error: Error) => void;
  /**
   * Milliseconds an add may take before it fails. BullMQ waits without a bound for a queue's
   * connection to become ready, so without this a queue first used during a Redis outage
   * would hang its caller until Redis returned.
   * @defaultValue 2000
   */
  enqueueTimeoutMs?: number;
  /** Queues to open at once, so their first use does not wait for a connection. */
  open?: readonly QueueName[];
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not take the job within ${ms} ms`)), ms);
  });
  try {
    // The race keeps a handler on `work`, so its late rejection is not an unhandled one.
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Typed producers: a payload is parsed with its job's schema before `add()`, so a payload that
 * fails its schema never enters a queue. Queues are opened on first use and closed by `close`.
 * A deterministic `jobId` makes a repeated add a no-op; BullMQ refuses ids containing `:`.
 */
/**
 * A job run for a user gets a UUID id unless the caller chose one: the user jobs API names a
 * job by its id alone, and BullMQ's own ids (a counter per queue) repeat across queues.
 */
function ownedJobId(data: unknown, jobId: string | undefined): string | undefined {
  if (jobId !== undefined) return jobId;
  const ownerId = (data as { ownerId?: unknown } | null)?.ownerId;
  return typeof ownerId === 'string' ? randomUUID() : undefined;
}

const withJobId = (options: JobsOptions, jobId: string | undefined): JobsOptions =>
  jobId === undefined ? options : { ...options, jobId };

export function createProducer(options: ProducerOptions) {
  const queues = new Map<QueueName, Queue>();
  const queueFor = (name: QueueName): Queue => {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: options.connection,
        prefix: options.prefix ?? '{conveyor}',
      });
      queue.on('error', options.onError ?? (() => undefined));
      queues.set(name, queue);
    }
    return queue;
  };

  const timeoutMs = options.enqueueTimeoutMs ?? 2_000;
  for (const name of options.open ?? []) queueFor(name);

  return {
    async enqueue<Name extends JobName>(
      name: Name,
      payload: PayloadOf<Name>,
      overrides: JobsOptions = {},
    ) {
      const job = jobCatalog[name];
      const data: unknown = job.payload.parse(payload);
      const opts = { ...job.options, ...overrides };
      return withDeadline(
        queueFor(job.queue).add(name, data, withJobId(opts, ownedJobId(data, opts.jobId))),
        timeoutMs,
      );
    },
    async enqueueMany<Name extends JobName>(
      name: Name,
      items: readonly { payload: PayloadOf<Name>; options?: JobsOptions }[],
    ) {
      const job = jobCatalog[name];
      const entries = items.map((item) => {
        const data: unknown = job.payload.parse(item.payload);
        const opts = { ...job.options, ...item.options };
        return { name, data, opts: withJobId(opts, ownedJobId(data, opts.jobId)) };
      });
      return withDeadline(queueFor(job.queue).addBulk(entries), timeoutMs);
    },
    /**
     * Keeps a catalog schedule's BullMQ job scheduler in place with its job's catalog options:
     * an upsert under the schedule's fixed id, so every instance and every restart may run it
     * and there is still one scheduler, one run per period across the fleet.
     */
    async upsertSchedule(schedule: Schedule): Promise<void> {
      const job = findJob(schedule.jobName);
      if (!job) throw new Error(`schedule ${schedule.id} names an unknown job ${schedule.jobName}`);
      await withDeadline(
        queueFor(schedule.queue).upsertJobScheduler(
          schedule.id,
          { pattern: schedule.pattern, tz: schedule.tz },
          { name: job.name, data: {}, opts: job.options },
        ),
        timeoutMs,
      );
    },
    queue: queueFor,
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      queues.clear();
    },
  };
}

export type Producer = ReturnType<typeof createProducer>;
