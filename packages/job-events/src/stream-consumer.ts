// A leased consumer group over every queue's job event stream: the reader of the job registry
// and of the webhook fan-out, each with a group of its own.
import { setTimeout as sleep } from 'node:timers/promises';
import type { QueueName } from '@conveyor/queue-contracts';
import type { Logger } from '@conveyor/runtime/logger';
import { createRedis } from '@conveyor/runtime/redis';
import type { Redis } from 'ioredis';
import { eventsStreamKey } from './events.js';
import { createJobInfoReader } from './job-info.js';
import {
  handleEntries,
  type BatchContext,
  type JobEventsHandler,
} from './stream-consumer/batch.js';
import { createGroupReader, ensureGroups, isNoGroup } from './stream-consumer/group.js';
import { createLease } from './stream-consumer/lease.js';

export type { JobEventsHandler } from './stream-consumer/batch.js';
export { applyIsolated, type IsolationOptions } from './stream-consumer/isolate.js';

export interface StreamGroupConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface StreamGroupConsumerOptions {
  redisUrl: string;
  /** BullMQ key prefix, the producers' and workers' own. */
  prefix: string;
  queues: readonly QueueName[];
  /** The consumer group: one per reader (`job-registry`, `webhooks`), each with its own position. */
  group: string;
  /** This instance's name in the group; stable across restarts (a pod or host name). */
  consumer: string;
  logger: Logger;
  /**
   * Applies each batch; its entries are acknowledged once it resolves. When it throws, the batch
   * stays pending and comes again after a pause that grows to 5 s, so it must be idempotent.
   */
  handle: JobEventsHandler;
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

interface Run {
  redis: Redis;
  stopping: boolean;
  /** Wakes the loop from a pause when it is told to stop. */
  wake: AbortController;
  done: Promise<void>;
}

/**
 * A reader of every queue's events stream with a consumer group (XREADGROUP): each batch is
 * parsed into job events, handed to `handle`, then XACKed.
 *
 * One instance reads at a time: the one holding the group's lease in Redis
 * (`<prefix>:<group>:leader`). Consumers of one group share out a stream's entries, so with
 * several reading at once the events of one job land in batches handled side by side, in no
 * order (for the registry, whichever commits later is dropped as older whenever a newer one
 * won the race, losing e.g. a job's start). The others wait; when the leader dies, its lease
 * runs out after `claimIdleMs`, and the next leader reads its own pending entries first (after
 * its own crash), then claims (XAUTOCLAIM) what the dead one had read but not acknowledged,
 * then reads on.
 */
export function createStreamGroupConsumer(
  options: StreamGroupConsumerOptions,
): StreamGroupConsumer {
  const { consumer, group, logger, prefix } = options;
  const batchSize = options.batchSize ?? 100;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  // The leader renews its lease between reads, so a read must end well within the lease.
  const blockMs = Math.max(1, Math.min(options.blockMs ?? 2_000, Math.floor(claimIdleMs / 3)));
  const queueByKey = new Map(
    options.queues.map((queue) => [eventsStreamKey(prefix, queue), queue]),
  );
  const keys = [...queueByKey.keys()];
  const fields = { group, consumer };
  let running: Run | null = null;

  const loop = async (run: Run) => {
    const { redis } = run;
    const context: BatchContext = {
      redis,
      group,
      queueOf: (key) => queueByKey.get(key),
      readInfo: createJobInfoReader(redis, prefix),
      handle: options.handle,
    };
    const reader = createGroupReader(redis, keys, group, consumer, batchSize);
    const lease = createLease(redis, `${prefix}:${group}:leader`, consumer, claimIdleMs);
    const pause = (ms: number) => sleep(ms, undefined, { signal: run.wake.signal }).catch(() => {});
    let leading = false;
    let pending = true;
    let lastClaim = 0;
    let failures = 0;

    while (!run.stopping) {
      try {
        if (!(await lease.acquire())) {
          if (leading) logger.warn(fields, 'job event streams: lost the lead');
          leading = false;
          await pause(blockMs);
          continue;
        }
        if (!leading) {
          logger.info(fields, 'job event streams: reading');
          leading = true;
          pending = true;
          lastClaim = 0;
        }
        if (pending) {
          // Our own entries read before a crash or a failed batch: until none is left.
          pending = (await handleEntries(context, await reader.read('0'))) > 0;
        } else if (Date.now() - lastClaim >= claimIdleMs / 2) {
          lastClaim = Date.now();
          const claimed = await reader.claim(claimIdleMs);
          if (claimed.length > 0) logger.info(fields, 'job event streams: claimed entries');
          await handleEntries(context, claimed);
        } else {
          await handleEntries(context, await reader.read('>', blockMs));
        }
        failures = 0;
      } catch (error) {
        if (run.stopping) break;
        failures += 1;
        pending = true;
        logger.warn({ ...fields, err: error, failures }, 'job event streams: a batch failed');
        if (isNoGroup(error)) await ensureGroups(redis, keys, group).catch(() => {});
        await pause(Math.min(100 * 2 ** failures, 5_000));
      }
    }
    if (leading) await lease.release().catch(() => {});
  };

  return {
    async start() {
      if (running) return;
      const redis = createRedis(options.redisUrl, 'worker', `${group}:${consumer}`);
      redis.on('error', (error: Error) => logger.debug({ err: error }, 'job event streams: redis'));
      try {
        await ensureGroups(redis, keys, group);
      } catch (error) {
        redis.disconnect();
        throw error;
      }
      const run: Run = {
        redis,
        stopping: false,
        wake: new AbortController(),
        done: Promise.resolve(),
      };
      run.done = loop(run);
      running = run;
    },

    /**
     * Finishes the batch in hand (handled and acknowledged), gives the lead up, and closes the
     * connection. If Redis does not answer meanwhile, the connection is cut after a while;
     * whatever was not acknowledged is handled again on the next start.
     */
    async stop() {
      const run = running;
      if (!run) return;
      running = null;
      run.stopping = true;
      run.wake.abort();
      const deadline = new AbortController();
      const finished = await Promise.race([
        run.done.then(() => true),
        sleep(blockMs + 5_000, false, { signal: deadline.signal }).catch(() => true),
      ]);
      deadline.abort();
      run.redis.disconnect();
      if (!finished) await run.done;
    },
  };
}
