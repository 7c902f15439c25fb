import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '@conveyor/runtime/logger';
import type { Redis } from 'ioredis';

/**
 * Worker presence: every worker instance writes what it is and how it is doing to Redis every
 * few seconds, so the admin service can tell a live worker from a dead one and a busy one from
 * a stuck one. Keys live under the BullMQ prefix, so a hash-tagged prefix keeps them in the
 * queues' slot; every command names one key, so a prefix without a tag is cluster safe too.
 *
 * - `<prefix>:presence` a sorted set of instance ids by last heartbeat (the index);
 * - `<prefix>:presence:<id>` a hash of the instance's fields, kept `retainMs` after its last
 *   heartbeat so an instance that died unannounced stays visible as not running for a while;
 * - `<prefix>:presence:<id>:alive` a key that expires `STALE_HEARTBEATS` heartbeats after the
 *   last one: Redis's own clock decides liveness, so hosts with skewed clocks agree.
 */

/** Heartbeats an instance may miss before it counts as not running. */
export const STALE_HEARTBEATS = 3;

export const presenceIndexKey = (prefix: string) => `${prefix}:presence`;
export const presenceKey = (prefix: string, id: string) => `${prefix}:presence:${id}`;
export const presenceAliveKey = (prefix: string, id: string) => `${prefix}:presence:${id}:alive`;

/** What an instance has done since it started. */
export interface WorkTally {
  completed: number;
  failed: number;
  /** Jobs in hand now. */
  active: number;
  /** Left out by sources that only count: the heartbeat that sees `completed` grow sets it. */
  lastCompletedAt?: Date;
}

export interface PresenceOptions {
  /** A fail-fast command connection, not the blocking one: a stuck worker must still beat. */
  redis: Redis;
  prefix: string;
  app: string;
  queues: readonly string[];
  version: string;
  concurrency: number;
  tally: () => WorkTally | Promise<WorkTally>;
  logger: Logger;
  /** @defaultValue 5000 */
  heartbeatMs?: number;
  /** How long a silent instance's fields are kept. @defaultValue 10 minutes */
  retainMs?: number;
}

export interface Presence {
  id: string;
  /** Resolves after the first heartbeat was written (or failed, which is logged). */
  ready: Promise<void>;
  /** Stops beating and removes the entry: a worker that closed is gone, not dead. */
  close: () => Promise<void>;
}

/** Registers this instance and keeps its entry fresh until `close`. */
export function startPresence(options: PresenceOptions): Presence {
  const { redis, prefix, logger } = options;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const retainMs = options.retainMs ?? 600_000;
  // host:pid names the process; the suffix tells apart two workers of one process, and a
  // restarted container (pid 1 again) from the one that died.
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const startedAt = new Date();
  let lastCompletedAt: Date | undefined;
  let completedSeen = 0;

  const beat = async () => {
    const tally = await options.tally();
    if (tally.lastCompletedAt) lastCompletedAt = tally.lastCompletedAt;
    else if (tally.completed > completedSeen) lastCompletedAt = new Date();
    completedSeen = tally.completed;
    const now = Date.now();
    const key = presenceKey(prefix, id);
    await redis
      .pipeline()
      .hset(key, {
        app: options.app,
        // Comma-separated: the platform's queue names are kebab-case.
        queues: options.queues.join(','),
        host: hostname(),
        pid: process.pid,
        version: options.version,
        concurrency: options.concurrency,
        heartbeatMs,
        startedAt: startedAt.toISOString(),
        lastHeartbeat: new Date(now).toISOString(),
        completed: tally.completed,
        failed: tally.failed,
        active: tally.active,
        lastCompletedAt: lastCompletedAt?.toISOString() ?? '',
      })
      .pexpire(key, retainMs)
      .set(presenceAliveKey(prefix, id), '1', 'PX', heartbeatMs * STALE_HEARTBEATS)
      .zadd(presenceIndexKey(prefix), now, id)
      .zremrangebyscore(presenceIndexKey(prefix), '-inf', now - retainMs)
      .exec()
      .then((results) => {
        for (const [error] of results ?? []) if (error) throw error;
      });
  };

  let inFlight: Promise<void> = Promise.resolve();
  const tick = () => {
    // One heartbeat at a time: a slow Redis must not pile them up.
    inFlight = inFlight.then(beat).catch((err: unknown) => {
      logger.warn({ err, presenceId: id }, 'presence heartbeat failed');
    });
    return inFlight;
  };
  const ready = tick();
  const timer = setInterval(() => void tick(), heartbeatMs);
  timer.unref();

  return {
    id,
    ready,
    close: async () => {
      clearInterval(timer);
      await inFlight;
      await redis
        .pipeline()
        .zrem(presenceIndexKey(prefix), id)
        .del(presenceKey(prefix, id))
        .del(presenceAliveKey(prefix, id))
        .exec()
        .catch((err: unknown) => logger.warn({ err, presenceId: id }, 'presence removal failed'));
    },
  };
}
