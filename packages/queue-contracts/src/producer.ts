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
      return withDeadline(
        queueFor(job.queue).add(name, data, { ...job.options, ...overrides }),
        timeoutMs,
      );
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
      return withDeadline(queueFor(job.queue).addBulk(entries), timeoutMs);
    },
    queue: queueFor,
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      queues.clear();
    },
  };
}

export type Producer = ReturnType<typeof createProducer>;
