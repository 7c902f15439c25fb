import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { jobCatalog, type JobName, type PayloadOf } from './jobs.js';
import type { QueueName } from './queues.js';

export interface ProducerOptions {
  /** A fail-fast connection (`enableOfflineQueue: false`) so a request never hangs on Redis. */
  connection: ConnectionOptions;
  /** BullMQ key prefix. @defaultValue `{conveyor}` */
  prefix?: string;
  /** Called with every Queue error; without a listener, errors would be unhandled. */
  onError?: (error: Error) => void;
}

/**
 * Typed producers: a payload is parsed with its job's schema before `add()`, so a payload that
 * fails its schema never enters a queue. Queues are opened on first use and closed by `close`.
 * A deterministic `jobId` makes a repeated add a no-op; BullMQ refuses ids containing `:`.
 */
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

  return {
    async enqueue<Name extends JobName>(
      name: Name,
      payload: PayloadOf<Name>,
      overrides: JobsOptions = {},
    ) {
      const job = jobCatalog[name];
      const data: unknown = job.payload.parse(payload);
      return queueFor(job.queue).add(name, data, { ...job.options, ...overrides });
    },
    async enqueueMany<Name extends JobName>(
      name: Name,
      items: readonly { payload: PayloadOf<Name>; options?: JobsOptions }[],
    ) {
      const job = jobCatalog[name];
      const entries = items.map((item) => ({
        name,
        data: job.payload.parse(item.payload),
        opts: { ...job.options, ...item.options },
      }));
      return queueFor(job.queue).addBulk(entries);
    },
    queue: queueFor,
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      queues.clear();
    },
  };
}

export type Producer = ReturnType<typeof createProducer>;
