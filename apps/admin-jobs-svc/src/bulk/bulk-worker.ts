import type { Database } from '@conveyor/db/client';
import { createJobCanceller } from '@conveyor/job-events/cancel';
import { runAdminBulk } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { Logger } from '@conveyor/runtime/logger';
import { createRedis } from '@conveyor/runtime/redis';
import { bindProcessor, createQueueWorker } from '@conveyor/worker-kit/worker';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { runBatch } from './run-batch.js';
import { requeueStranded } from './start-batch.js';

/** The app name the bulk worker registers under: its health group is `admin`. */
export const BULK_WORKER_APP = 'admin-jobs-svc';

export interface BulkWorkerDeps {
  config: Pick<
    Config,
    | 'REDIS_URL'
    | 'BULL_PREFIX'
    | 'ADMIN_BULK_PAGE_SIZE'
    | 'ADMIN_BULK_MAX_JOBS'
    | 'WORKER_HEARTBEAT_MS'
    | 'APP_VERSION'
  >;
  logger: Logger;
  db: Database;
  /** The app's fail-fast connection: cancel requests and presence heartbeats go out on it. */
  redis: Redis;
  producer: Producer;
}

/**
 * The `admin-bulk` worker, run inside the service (a bulk action is light Redis work, one batch
 * at a time): a blocking connection of its own, and presence under the service's name so it
 * shows in the workers list and /health. `close` stops it and then its connection.
 */
export function startBulkWorker(deps: BulkWorkerDeps): { close: () => Promise<void> } {
  const { config, logger } = deps;
  const connection = createRedis(config.REDIS_URL, 'worker', `${BULK_WORKER_APP}:bulk-worker`);
  connection.on('error', (err) => logger.warn({ err }, 'bulk worker redis connection error'));
  const runner = {
    db: deps.db,
    producer: deps.producer,
    cancel: createJobCanceller({
      producer: deps.producer,
      redis: deps.redis,
      prefix: config.BULL_PREFIX,
      db: deps.db,
    }),
    pageSize: config.ADMIN_BULK_PAGE_SIZE,
    maxJobs: config.ADMIN_BULK_MAX_JOBS,
  };
  const worker = createQueueWorker({
    processors: [
      bindProcessor(runAdminBulk, (payload, job, signal) =>
        runBatch(runner, payload.batchId, job, signal),
      ),
    ],
    connection,
    prefix: config.BULL_PREFIX,
    concurrency: 1,
    logger: logger.child({ component: 'admin-bulk-worker' }),
    presence: {
      redis: deps.redis,
      prefix: config.BULL_PREFIX,
      app: BULK_WORKER_APP,
      version: config.APP_VERSION ?? 'unknown',
      heartbeatMs: config.WORKER_HEARTBEAT_MS,
      logger,
    },
  });
  requeueStranded(runner).catch((err: unknown) =>
    logger.warn({ err }, 'could not requeue stranded bulk batches'),
  );
  return {
    close: async () => {
      try {
        await worker.close();
      } finally {
        await connection.quit().catch(() => connection.disconnect());
      }
    },
  };
}
