import { randomUUID } from 'node:crypto';
import { webhookEndpoints } from '@conveyor/db/schema';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import type { Resolver } from '@conveyor/url-guard/connect';
import { createTestWorkerDeps } from '@conveyor/worker-kit/testing';
import { loadConfig } from '../../src/config.js';
import { createDispatcher } from '../../src/dispatch/dispatcher.js';

const redisUrl = process.env.REDIS_URL ?? defaultTestRedisUrl;

/**
 * Timings compressed for tests; each test overrides what it measures. Loopback is reachable
 * through the allow-list, as the webhooks' own test receivers need.
 */
const testEnv = {
  NODE_ENV: 'test',
  WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
  WEBHOOK_POLL_MS: '20',
  WEBHOOK_TIMEOUT_MS: '2000',
  WEBHOOK_CLAIM_LEASE_MS: '5000',
  WEBHOOK_RETRY_BASE_MS: '100',
  WEBHOOK_RETRY_FACTOR: '2',
};

export interface DispatcherOptions {
  databaseUrl: string;
  /** Environment on top of the test defaults, parsed by the app's own `loadConfig`. */
  env?: Record<string, string>;
  resolve?: Resolver;
  /** @defaultValue a fresh name */
  workerName?: string;
  /** Whether to call `start`. @defaultValue true */
  start?: boolean;
}

/**
 * A dispatcher in-process with `createDispatcher(deps)`, on deps built as `runWorker` builds
 * them, against the given database, the real Redis and a BullMQ prefix of its own.
 */
export async function startDispatcher(options: DispatcherOptions) {
  const prefix = testPrefix();
  const { deps, close } = await createTestWorkerDeps({
    name: 'webhook-worker',
    loadConfig,
    env: {
      REDIS_URL: redisUrl,
      DATABASE_URL: options.databaseUrl,
      BULL_PREFIX: prefix,
      ...testEnv,
      ...options.env,
    },
    ...(process.env.TEST_LOG_LEVEL ? { logLevel: process.env.TEST_LOG_LEVEL } : {}),
  });
  const workerName = options.workerName ?? `test-worker-${randomUUID().slice(0, 8)}`;
  const dispatcher = createDispatcher({
    ...deps,
    workerName,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
  if (options.start ?? true) await dispatcher.start();
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= dispatcher.stop());
  return {
    deps,
    db: deps.db.db,
    config: deps.config,
    dispatcher,
    workerName,
    /** The dispatcher's own `stop`, once. */
    stop,
    /**
     * Stops the dispatcher, turns every endpoint off so no later test's dispatcher sends this
     * test's leftovers, and releases the connections and keys.
     */
    cleanup: async () => {
      await stop();
      await deps.db.db.update(webhookEndpoints).set({ active: false });
      await close();
      await deleteKeysWithPrefix(redisUrl, prefix);
    },
  };
}

export type TestDispatcher = Awaited<ReturnType<typeof startDispatcher>>;
