import type { Redis } from 'ioredis';
import { z } from 'zod';
import { presenceAliveKey, presenceIndexKey, presenceKey } from './presence.js';

const count = z.coerce.number().int().min(0);
const instant = z.iso.datetime().transform((text) => new Date(text));

/** One stored entry, as `startPresence` writes it. */
const EntrySchema = z.object({
  app: z.string(),
  queues: z.string().transform((text) => text.split(',').filter(Boolean)),
  host: z.string(),
  pid: count,
  version: z.string(),
  concurrency: count,
  heartbeatMs: count,
  startedAt: instant,
  lastHeartbeat: instant,
  completed: count,
  failed: count,
  active: count,
  lastCompletedAt: z.union([z.literal('').transform(() => null), instant]),
});

export type WorkerPresence = z.output<typeof EntrySchema> & {
  id: string;
  /** Its last heartbeat is recent enough (see `STALE_HEARTBEATS`). */
  isRunning: boolean;
};

/**
 * Every instance registered under `prefix`, running or recently silent, oldest first,
 * optionally only those of one app or one queue. Entries that do not parse (a newer or older
 * writer) are left out rather than failing the whole list.
 */
export async function listPresence(
  redis: Redis,
  prefix: string,
  filter: { app?: string; queue?: string } = {},
): Promise<WorkerPresence[]> {
  const ids = await redis.zrange(presenceIndexKey(prefix), 0, -1);
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids)
    pipeline.hgetall(presenceKey(prefix, id)).exists(presenceAliveKey(prefix, id));
  const results = (await pipeline.exec()) ?? [];
  const instances: WorkerPresence[] = [];
  ids.forEach((id, index) => {
    const [entryError, entry] = results[index * 2] ?? [];
    const [aliveError, alive] = results[index * 2 + 1] ?? [];
    if (entryError) throw entryError;
    if (aliveError) throw aliveError;
    const parsed = EntrySchema.safeParse(entry);
    if (!parsed.success) return;
    if (filter.app !== undefined && parsed.data.app !== filter.app) return;
    if (filter.queue !== undefined && !parsed.data.queues.includes(filter.queue)) return;
    instances.push({ id, ...parsed.data, isRunning: alive === 1 });
  });
  return instances;
}
