import type { QueueName } from '@conveyor/queue-contracts';
import type { Redis } from 'ioredis';
import type { JobEvent } from './events.js';
import { LruCache } from './lru.js';
import { summarizePayload } from './payload-summary.js';

/** What the events stream does not say about a job: read once from its hash, then cached. */
export interface JobInfo {
  name: string;
  /** `data.ownerId`; null for system jobs. */
  ownerId: string | null;
  /** Top-level scalar payload fields, cut short, without secret-looking keys. */
  payloadSummary: Record<string, unknown>;
  /** `opts.attempts`, 1 when unset (BullMQ's own default). */
  maxAttempts: number;
  /** When the job was added, ms since the epoch. */
  createdAt: number;
}

export interface JobInfoReaderOptions {
  /** Jobs kept in memory. @defaultValue 10 000 */
  cacheSize?: number;
}

export type JobInfoReader = (queue: QueueName, jobId: string) => Promise<JobInfo | null>;

/** The job hash's key: BullMQ's `<prefix>:<queue>:<jobId>`. */
export function jobKey(prefix: string, queue: QueueName, jobId: string): string {
  return `${prefix}:${queue}:${jobId}`;
}

function parseObject(raw: string | null): Record<string, unknown> {
  if (raw === null) return {};
  try {
    const value = JSON.parse(raw) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function toJobInfo([name, data, opts, timestamp]: (string | null)[]): JobInfo | null {
  if (name === null || name === undefined) return null;
  const payload = parseObject(data ?? null);
  const attempts = parseObject(opts ?? null).attempts;
  return {
    name,
    ownerId: typeof payload.ownerId === 'string' ? payload.ownerId : null,
    payloadSummary: summarizePayload(payload),
    maxAttempts: typeof attempts === 'number' && attempts >= 1 ? attempts : 1,
    createdAt: Number(timestamp) || Date.now(),
  };
}

/**
 * Reads a job's name, owner, attempts and payload summary from its hash with one HMGET,
 * LRU-cached: none of them changes after the job is added, and a busy job emits many events.
 * Concurrent reads of one job share one round trip. A job that is gone (removed, or past
 * BullMQ's retention) reads as null and is not cached, since a deterministic id may come back.
 */
export function createJobInfoReader(
  redis: Redis,
  prefix: string,
  options: JobInfoReaderOptions = {},
): JobInfoReader {
  const cache = new LruCache<string, Promise<JobInfo | null>>(options.cacheSize ?? 10_000);
  return (queue, jobId) => {
    const key = `${queue}\u0000${jobId}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const read = redis
      .hmget(jobKey(prefix, queue, jobId), 'name', 'data', 'opts', 'timestamp')
      .then(toJobInfo);
    cache.set(key, read);
    const forget = () => {
      if (cache.peek(key) === read) cache.delete(key);
    };
    read.then((info) => {
      if (info === null) forget();
    }, forget);
    return read;
  };
}

/**
 * Each event beside its job's info (null when the job is gone), looked up all at once: the
 * reader shares one round trip among the events of one job, and ioredis pipelines the rest.
 */
export async function withJobInfo(
  readInfo: JobInfoReader,
  events: readonly JobEvent[],
): Promise<{ event: JobEvent; info: JobInfo | null }[]> {
  const infos = await Promise.all(events.map((event) => readInfo(event.queue, event.jobId)));
  return events.map((event, index) => ({ event, info: infos[index] ?? null }));
}
