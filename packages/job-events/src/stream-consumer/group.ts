import type { Redis } from 'ioredis';

/**
 * A stream entry as XREADGROUP or XAUTOCLAIM returns it; `null` fields mark a pending entry
 * that the stream has trimmed away since it was delivered.
 */
export type GroupEntry = [id: string, fields: string[] | null];

export type GroupReply = [key: string, entries: GroupEntry[]][];

/**
 * Creates the consumer group on every stream, at `0` so that what the streams already hold is
 * read too, with MKSTREAM since a queue may not have run yet. A group that exists is kept with
 * its position (BUSYGROUP).
 */
export async function ensureGroups(redis: Redis, keys: readonly string[], group: string) {
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.xgroup('CREATE', key, group, '0', 'MKSTREAM');
  const replies = (await pipeline.exec()) ?? [];
  const failure = replies.find(([error]) => error && !error.message.startsWith('BUSYGROUP'));
  if (failure?.[0]) throw failure[0];
}

/** Redis lost the group (a restart without persistence, a queue obliterated): make it again. */
export function isNoGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOGROUP');
}

export interface GroupReader {
  /** XREADGROUP from `id` on every stream: `0` for the consumer's pending entries, `>` for new. */
  read(id: '0' | '>', blockMs?: number): Promise<GroupReply>;
  /** One XAUTOCLAIM page per stream: entries delivered to anyone and idle for `idleMs`. */
  claim(idleMs: number): Promise<GroupReply>;
}

export function createGroupReader(
  redis: Redis,
  keys: readonly string[],
  group: string,
  consumer: string,
  count: number,
): GroupReader {
  // XAUTOCLAIM pages through the pending list with a cursor per stream; 0-0 starts over.
  const cursors = new Map(keys.map((key) => [key, '0-0']));
  return {
    async read(id, blockMs) {
      const block = blockMs === undefined ? [] : ['BLOCK', blockMs];
      const reply = await redis.call(
        'XREADGROUP',
        'GROUP',
        group,
        consumer,
        'COUNT',
        count,
        ...block,
        'STREAMS',
        ...keys,
        ...keys.map(() => id),
      );
      return (reply as GroupReply | null) ?? [];
    },
    async claim(idleMs) {
      const claimed: GroupReply = [];
      for (const key of keys) {
        const [next, entries] = (await redis.call(
          'XAUTOCLAIM',
          key,
          group,
          consumer,
          idleMs,
          cursors.get(key) ?? '0-0',
          'COUNT',
          count,
        )) as [string, GroupEntry[]];
        cursors.set(key, next);
        if (entries.length > 0) claimed.push([key, entries]);
      }
      return claimed;
    },
  };
}
