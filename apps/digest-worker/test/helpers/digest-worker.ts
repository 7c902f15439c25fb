import { QueueName } from '@conveyor/queue-contracts';
import { createProducer, type Producer } from '@conveyor/queue-contracts/producer';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { createTestWorkerDeps } from '@conveyor/worker-kit/testing';
import { Queue } from 'bullmq';
import { loadConfig } from '../../src/config.js';
import { createDigestWorker, type DigestWorkerDeps } from '../../src/worker.js';

export interface TestDigestWorker {
  deps: DigestWorkerDeps;
  prefix: string;
  /** The digest queue, to inspect schedulers and jobs. */
  queue: Queue;
  producer: Producer;
  /** Stops the worker and releases every connection and key of the test. */
  cleanup: () => Promise<void>;
}

const redisUrl = defaultTestRedisUrl;

/**
 * The digest worker in-process, as `runWorker` would build it, on the real Redis (a prefix of
 * its own unless one is shared), the given database and SMTP server, and a clock of the test's.
 */
export async function startDigestWorker(options: {
  databaseUrl: string;
  smtpUrl: string;
  now: () => Date;
  prefix?: string;
  env?: Record<string, string>;
}): Promise<TestDigestWorker> {
  const prefix = options.prefix ?? testPrefix();
  const { deps, close } = await createTestWorkerDeps({
    name: 'digest-worker',
    loadConfig,
    env: {
      REDIS_URL: redisUrl,
      DATABASE_URL: options.databaseUrl,
      BULL_PREFIX: prefix,
      SMTP_URL: options.smtpUrl,
      SMTP_TIMEOUT_MS: '2000',
      ...options.env,
    },
  });
  const digestDeps: DigestWorkerDeps = { ...deps, now: options.now };
  const worker = await createDigestWorker(digestDeps);
  const connection = { host: new URL(redisUrl).hostname, port: Number(new URL(redisUrl).port) };
  const queue = new Queue(QueueName.notificationDigest, { connection, prefix });
  queue.on('error', () => undefined);
  const producer = createProducer({ connection, prefix });
  let stopped = false;
  return {
    deps: digestDeps,
    prefix,
    queue,
    producer,
    cleanup: async () => {
      if (stopped) return;
      stopped = true;
      await worker.close();
      await Promise.allSettled([queue.close(), producer.close()]);
      await close();
      if (!options.prefix) await deleteKeysWithPrefix(redisUrl, prefix);
    },
  };
}
