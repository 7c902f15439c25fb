import { deliveryJobId } from '@conveyor/notifications/delivery-jobs';
import { deliverNotification, QueueName } from '@conveyor/queue-contracts';
import { createProducer, type Producer } from '@conveyor/queue-contracts/producer';
import type { Logger } from '@conveyor/runtime/logger';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { Queue, QueueEvents, type Job, type JobsOptions } from 'bullmq';
import { loadConfig, type Config } from '../../src/config.js';
import { createDeliveryWorker, type DeliveryWorkerDeps } from '../../src/worker.js';
import { createTestWorkerDeps } from '@conveyor/worker-kit/testing';

export interface TestWorkerOptions {
  databaseUrl: string;
  smtpUrl: string;
  /** Environment on top of the test defaults, parsed by the app's own `loadConfig`. */
  env?: Record<string, string>;
  /** A BullMQ prefix to share with another test worker. @defaultValue a fresh `testPrefix()` */
  prefix?: string;
  logger?: Logger;
}

export interface TestWorker {
  config: Config;
  deps: DeliveryWorkerDeps;
  prefix: string;
  /** The delivery queue, to add jobs by hand and inspect them. */
  queue: Queue;
  events: QueueEvents;
  /** A producer on the test's prefix, as notifications-svc would use. */
  producer: Producer;
  /** Adds the delivery job of a notification under its deterministic id. */
  addDelivery: (notificationId: string, options?: JobsOptions) => Promise<Job>;
  /** The job's result, or its error, within `timeoutMs`. */
  finished: (job: Job, timeoutMs?: number) => Promise<unknown>;
  /** The worker's own `close`, once. */
  stopWorker: () => Promise<void>;
  /** Stops the worker and releases every connection and key of the test. */
  cleanup: () => Promise<void>;
}

const redisUrl = process.env.REDIS_URL ?? defaultTestRedisUrl;
const plainConnection = () => {
  const url = new URL(redisUrl);
  return { host: url.hostname, port: Number(url.port || 6379) };
};

/**
 * Starts the delivery worker in-process with `createDeliveryWorker(deps)`, against the real
 * Redis, the given PostgreSQL database and SMTP server, with deps built by hand as `runWorker`
 * would build them.
 */
export async function startTestWorker(options: TestWorkerOptions): Promise<TestWorker> {
  const prefix = options.prefix ?? testPrefix();
  const { deps, close } = await createTestWorkerDeps({
    name: 'delivery-worker',
    loadConfig,
    env: {
      REDIS_URL: redisUrl,
      DATABASE_URL: options.databaseUrl,
      BULL_PREFIX: prefix,
      SMTP_URL: options.smtpUrl,
      SMTP_TIMEOUT_MS: '2000',
      ...options.env,
    },
    ...(options.logger ? { logger: options.logger } : {}),
    ...(process.env.TEST_LOG_LEVEL ? { logLevel: process.env.TEST_LOG_LEVEL } : {}),
  });
  const { config } = deps;
  const worker = await createDeliveryWorker(deps);

  const queue = new Queue(QueueName.notificationDelivery, {
    connection: plainConnection(),
    prefix,
  });
  const events = new QueueEvents(QueueName.notificationDelivery, {
    connection: plainConnection(),
    prefix,
  });
  queue.on('error', () => undefined);
  events.on('error', () => undefined);
  await events.waitUntilReady();
  const producer = createProducer({ connection: plainConnection(), prefix });

  let stopping: Promise<void> | undefined;
  const stopWorker = () => (stopping ??= worker.close());
  return {
    config,
    deps,
    prefix,
    queue,
    events,
    producer,
    addDelivery: (notificationId, jobOptions = {}) =>
      queue.add(
        deliverNotification.name,
        { notificationId, requestId: `req-${notificationId.slice(0, 8)}` },
        { ...deliverNotification.options, jobId: deliveryJobId(notificationId), ...jobOptions },
      ),
    finished: (job, timeoutMs = 15_000) => job.waitUntilFinished(events, timeoutMs),
    stopWorker,
    cleanup: async () => {
      await stopWorker();
      await Promise.allSettled([queue.close(), events.close(), producer.close()]);
      await close();
      await deleteKeysWithPrefix(redisUrl, prefix);
    },
  };
}
