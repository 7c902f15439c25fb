import { jobEventsQueues } from '@conveyor/job-events/registry';
import {
  createStreamGroupConsumer,
  type StreamGroupConsumer,
  type StreamGroupConsumerOptions,
} from '@conveyor/job-events/stream-consumer';
import type { WorkerDeps } from '@conveyor/worker-kit/main';
import type { Config } from '../config.js';
import { fanOutBatch } from './fan-out-batch.js';

/**
 * The fan-out's consumer group: a position of its own in every job event stream, apart from
 * the job registry's (`job-registry`), so neither reader waits for the other.
 */
export const FAN_OUT_GROUP = 'webhooks';

/**
 * Entries read per stream and call. One batch is one transaction of a fixed handful of
 * statements whatever its size, and one reader applies batches one after another, so the
 * batch size is the fan-out's throughput: 100 (the registry's) stores about 1 300 events a
 * second here, 1 000 several times that.
 */
const FAN_OUT_BATCH_SIZE = 1_000;

export type FanOutDeps = Pick<WorkerDeps<Config>, 'config' | 'logger' | 'db'> & {
  /** This instance's name in the consumer group (WORKER_NAME). */
  workerName: string;
  /** Called after a batch stored deliveries (the local dispatcher's `wake`). */
  onDeliveries?: () => void;
};

/** How the streams are read; the defaults serve production. */
export type FanOutOptions = Pick<
  StreamGroupConsumerOptions,
  'batchSize' | 'claimIdleMs' | 'blockMs'
>;

/**
 * Reads every queue's job events (one instance at a time, the holder of the group's lease; the
 * others take over when it dies) and turns them into webhook messages and deliveries in
 * PostgreSQL, which the dispatcher sends. A batch is acknowledged only once it is committed:
 * while PostgreSQL is away, the batch stays pending and is tried again.
 */
export function createFanOut(deps: FanOutDeps, options: FanOutOptions = {}): StreamGroupConsumer {
  const logger = deps.logger.child({ component: 'webhook-fan-out' });
  const context = { db: deps.db.db, logger, onDeliveries: deps.onDeliveries };
  return createStreamGroupConsumer({
    batchSize: FAN_OUT_BATCH_SIZE,
    ...options,
    redisUrl: deps.config.REDIS_URL,
    prefix: deps.config.BULL_PREFIX,
    queues: jobEventsQueues(),
    group: FAN_OUT_GROUP,
    consumer: deps.workerName,
    logger,
    handle: (events, readInfo) => fanOutBatch(context, events, readInfo),
  });
}
