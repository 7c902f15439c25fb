import type { Database } from '@conveyor/db/client';
import type { QueueName } from '@conveyor/queue-contracts';
import type { Logger } from '@conveyor/runtime/logger';
import { withJobInfo } from '../job-info.js';
import {
  applyIsolated,
  createStreamGroupConsumer,
  type StreamGroupConsumer,
} from '../stream-consumer.js';
import { applyJobEvents } from './apply.js';

export type RegistryConsumer = StreamGroupConsumer;

export interface RegistryConsumerOptions {
  redisUrl: string;
  db: Database;
  /** BullMQ key prefix, the producers' and workers' own. */
  prefix: string;
  queues: readonly QueueName[];
  /** This instance's name in the group; stable across restarts (a pod or host name). */
  consumer: string;
  logger: Logger;
  /** @defaultValue 'job-registry' */
  group?: string;
  /** Entries read per stream and call. @defaultValue 100 */
  batchSize?: number;
  /**
   * How long a silent instance keeps the lead and its unacknowledged entries before another
   * takes them over. @defaultValue 30 000
   */
  claimIdleMs?: number;
  /** Milliseconds one read waits for news, at most a third of `claimIdleMs`. @defaultValue 2 000 */
  blockMs?: number;
}

/**
 * The registry's reader of every queue's events stream: a leased consumer group (default
 * `job-registry`, see `createStreamGroupConsumer`) whose batches are applied to `job_runs`,
 * then acknowledged. A batch applied again after a crash changes nothing (`last_event_id`).
 * If the data of some job makes the database refuse the batch, only that job's events are
 * skipped, with an error log, so one bad event cannot stop the registry.
 */
export function createRegistryConsumer(options: RegistryConsumerOptions): RegistryConsumer {
  const { db, logger } = options;
  return createStreamGroupConsumer({
    redisUrl: options.redisUrl,
    prefix: options.prefix,
    queues: options.queues,
    group: options.group ?? 'job-registry',
    consumer: options.consumer,
    logger,
    batchSize: options.batchSize,
    claimIdleMs: options.claimIdleMs,
    blockMs: options.blockMs,
    handle: async (events, readInfo) => {
      await applyIsolated(await withJobInfo(readInfo, events), {
        apply: (items) => applyJobEvents(db, items),
        groupOf: ({ event }) => `${event.queue}\u0000${event.jobId}`,
        onRefused: ([item], error) => {
          const { queue, jobId } = item!.event;
          logger.error({ err: error, queue, jobId }, 'job_runs refused events; skipped');
        },
      });
      logger.debug({ events: events.length }, 'job_runs updated');
    },
  });
}
