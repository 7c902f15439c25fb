import type { Redis } from 'ioredis';
import { z } from 'zod';
import { execPipeline } from './pipeline.js';
import { fieldMap } from './stream-ids.js';

/** Pushed to a user's sockets when a notification is created for them. */
export interface NotificationNewEvent {
  type: 'notification:new';
  userId: string;
  notificationId: string;
  title: string;
  unreadCount: number;
}

/** Real-time events that do not come from BullMQ. */
export type UserEvent = NotificationNewEvent;

const UserEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('notification:new'),
    userId: z.string().min(1),
    notificationId: z.string().min(1),
    title: z.string(),
    unreadCount: z.number().int().min(0),
  }),
]) satisfies z.ZodType<UserEvent>;

/**
 * Like BullMQ's streams, it is capped: the hub reads it live, so only a short backlog matters,
 * and `~` lets Redis trim whole nodes, which is cheap.
 */
const MAX_LEN = 10_000;

/** The user-events stream; under the same prefix (and so Cluster hash tag) as the queues. */
export function userEventsStreamKey(prefix: string): string {
  return `${prefix}:user-events`;
}

/**
 * Appends events to the user-events stream, all in one pipeline. Each entry holds the event
 * as JSON plus its `type` and `userId` as fields of their own, for `XRANGE` by hand.
 */
export async function publishUserEvents(
  redis: Redis,
  prefix: string,
  events: readonly UserEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const key = userEventsStreamKey(prefix);
  const pipeline = redis.pipeline();
  for (const event of events) {
    pipeline.xadd(
      key,
      'MAXLEN',
      '~',
      MAX_LEN,
      '*',
      'type',
      event.type,
      'userId',
      event.userId,
      'event',
      JSON.stringify(event),
    );
  }
  await execPipeline(pipeline);
}

/** One entry of the user-events stream; null for one this version does not know. */
export function parseUserEventEntry(fields: readonly string[]): UserEvent | null {
  const raw = fieldMap(fields).get('event');
  if (raw === undefined) return null;
  try {
    const parsed = UserEventSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
