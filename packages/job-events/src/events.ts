import type { QueueName } from '@conveyor/queue-contracts';
import { fieldMap, streamIdTime } from './stream-ids.js';

export { compareStreamIds } from './stream-ids.js';

export type JobEventType =
  'added' | 'waiting' | 'delayed' | 'active' | 'progress' | 'completed' | 'failed' | 'removed';

/** One lifecycle event of one job, read from its queue's BullMQ events stream. */
export interface JobEvent {
  /** The Redis stream entry id (`ms-seq`): orders a queue's events. */
  streamId: string;
  queue: QueueName;
  jobId: string;
  type: JobEventType;
  /** Milliseconds since the epoch, from the stream id. */
  at: number;
  progress?: number | Record<string, unknown>;
  /** `completed`: the parsed return value. */
  result?: unknown;
  /** `failed`. */
  failedReason?: string;
  /**
   * `failed`: true when BullMQ will retry (the job is not finished). BullMQ 5 writes `failed` to
   * the stream only when it gives up (its `moveToFinished` script); an attempt it retries shows
   * as `delayed` (with backoff) or `waiting` (without), so events parsed from BullMQ's streams
   * carry `false`.
   */
  willRetry?: boolean;
  attemptsMade?: number;
}

/**
 * The stream BullMQ writes a queue's events to, trimmed to about `maxLenEvents` entries
 * (10 000 unless the queue's `streams.events.maxLen` says otherwise).
 */
export function eventsStreamKey(prefix: string, queue: QueueName): string {
  return `${prefix}:${queue}:events`;
}

/** BullMQ writes progress as JSON: a number, an object, or (rarely) any other JSON value. */
function parseProgress(raw: string | undefined): number | Record<string, unknown> {
  const value = parseJson(raw);
  if (typeof value === 'number') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  return { value: value ?? null };
}

/** A return value BullMQ stored as JSON; a value that is not JSON is kept as its text. */
function parseJson(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

const stateEvents = new Set<string>(['added', 'waiting', 'delayed', 'active', 'removed']);

/**
 * One BullMQ stream entry as a job event; null for the entries we ignore: queue-wide ones
 * (`drained`, `paused`, `resumed`, `cleaned`) and job ones that add nothing to the states
 * (`stalled`, whose `waiting` entry follows; `retries-exhausted`, whose `failed` entry came
 * just before; `deduplicated`, `debounced`, `waiting-children`, `duplicated`).
 */
export function parseStreamEntry(queue: QueueName, id: string, fields: string[]): JobEvent | null {
  const map = fieldMap(fields);
  const type = map.get('event');
  const jobId = map.get('jobId');
  if (type === undefined || jobId === undefined) return null;
  const base = { streamId: id, queue, jobId, at: streamIdTime(id) };
  if (stateEvents.has(type)) return { ...base, type: type as JobEventType };
  switch (type) {
    case 'progress':
      return { ...base, type, progress: parseProgress(map.get('data')) };
    case 'completed':
      return { ...base, type, result: parseJson(map.get('returnvalue')) ?? null };
    case 'failed':
      return { ...base, type, failedReason: map.get('failedReason') ?? '', willRetry: false };
    default:
      return null;
  }
}
