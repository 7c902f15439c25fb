import type { Logger } from '@conveyor/runtime/logger';
import type { Redis } from 'ioredis';
import { execPipeline } from './pipeline.js';

export type StreamEntry = [id: string, fields: string[]];

export interface StreamTailOptions {
  /** A connection of the tail's own: XREAD BLOCK holds it, and `stop` disconnects it. */
  redis: Redis;
  keys: readonly string[];
  blockMs: number;
  /** Entries read per stream and call. */
  count: number;
  logger: Logger;
  /**
   * Handles one stream's entries in order. If it throws, the same entries come again after a
   * pause, so it must not have acted on part of them (or must not mind acting twice).
   */
  handle: (key: string, entries: StreamEntry[]) => Promise<void>;
}

export interface StreamTail {
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The current end of every stream, so the tail hears only what comes after its start. XREAD's
 * own `$` would not do: given again on every call, it would skip whatever was added while the
 * previous batch was being handled. A stream that does not exist yet starts at `0-0`.
 */
async function currentEnds(redis: Redis, keys: readonly string[]): Promise<string[]> {
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.xrevrange(key, '+', '-', 'COUNT', 1);
  const replies = (await execPipeline(pipeline)) as StreamEntry[][];
  return replies.map((entries) => entries[0]?.[0] ?? '0-0');
}

/**
 * Follows streams from their current end with XREAD BLOCK. It keeps the last id it handled
 * per stream, so after a Redis outage (the connection reconnects by itself) it resumes where
 * it was; a failed read or handler is retried after a pause that grows to 2 s.
 */
export async function startStreamTail(options: StreamTailOptions): Promise<StreamTail> {
  const { redis, keys, logger } = options;
  const ids = await currentEnds(redis, keys);
  let stopped = false;

  const loop = async () => {
    let failures = 0;
    while (!stopped) {
      try {
        const reply = await redis.xread(
          'COUNT',
          options.count,
          'BLOCK',
          options.blockMs,
          'STREAMS',
          ...keys,
          ...ids,
        );
        for (const [key, entries] of reply ?? []) {
          if (stopped || entries.length === 0) continue;
          await options.handle(key, entries);
          ids[keys.indexOf(key)] = entries[entries.length - 1]![0];
        }
        failures = 0;
      } catch (error) {
        if (stopped) break;
        failures += 1;
        logger.warn({ err: error, failures }, 'reading the job event streams failed; retrying');
        await sleep(Math.min(100 * 2 ** failures, 2_000));
      }
    }
  };
  const running = loop();

  return {
    async stop() {
      stopped = true;
      // Disconnecting rejects the pending XREAD at once instead of waiting out its BLOCK.
      redis.disconnect();
      await running;
    },
  };
}
