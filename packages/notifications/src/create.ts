import type { Database } from '@conveyor/db/client';
import { notifications, users } from '@conveyor/db/schema';
import { publishUserEvents } from '@conveyor/job-events/user-events';
import type { Producer } from '@conveyor/queue-contracts/producer';
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { enqueueDeliveries } from './delivery-jobs.js';
import { NotificationPrioritySchema, NotificationTypeSchema } from './model.js';

/** Most recipients one call may name; a role broadcast is not limited. */
export const MAX_RECIPIENTS = 10_000;

const RoleSchema = z.enum(['ADMIN', 'CREATOR', 'BRAND', 'VIEWER']);

/** The body of `POST /api/notifications`: exactly one of `userId`, `userIds`, `role`. */
export const CreateNotificationsSchema = z
  .object({
    userId: z.string().min(1).max(200).optional(),
    userIds: z.array(z.string().min(1).max(200)).min(1).max(MAX_RECIPIENTS).optional(),
    role: RoleSchema.optional(),
    type: NotificationTypeSchema,
    title: z.string().trim().min(1).max(200),
    message: z.string().trim().min(1).max(5_000),
    priority: NotificationPrioritySchema.default('MEDIUM'),
    actionUrl: z
      .url({ protocol: /^https?$/ })
      .max(2_000)
      .optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    /** A critical security notification, emailed whatever the preferences. ADMIN only. */
    critical: z.boolean().default(false),
  })
  .strict()
  .refine(
    (body) =>
      [body.userId, body.userIds, body.role].filter((value) => value !== undefined).length === 1,
    {
      message: 'give exactly one of userId, userIds, role',
      path: ['userId'],
    },
  );

export type CreateNotificationsInput = z.input<typeof CreateNotificationsSchema>;

export type CreateNotificationsResult =
  | { ok: true; count: number; ids?: string[]; enqueueError?: Error; publishError?: Error }
  | { ok: false; missingUserIds: string[] };

/** Rolls the insert back when a named recipient does not exist: nothing is created. */
class MissingRecipients extends Error {
  constructor(readonly userIds: string[]) {
    super(`unknown recipients: ${userIds.join(', ')}`);
  }
}

export interface CreateDeps {
  db: Database;
  producer: Producer;
  /**
   * Where `notification:new` goes for the recipients' open sockets (the user-events stream of
   * `@conveyor/job-events`); without it nothing is pushed and clients see the rows by polling.
   */
  events?: { redis: Redis; prefix: string };
}

/**
 * Recipients up to which each gets a `notification:new` with the new unread count. A larger
 * broadcast would flood every socket server with events most users are not connected for;
 * its recipients see it at their next poll of the unread count.
 */
export const MAX_PUSHED_RECIPIENTS = MAX_RECIPIENTS;

/**
 * Tells the recipients' sockets, after the commit: one grouped unread count for all of them,
 * one pipelined write to the stream. Best effort: the rows are committed, and polling the REST
 * API always shows them, so a Redis failure is reported, not thrown.
 */
async function publishCreated(
  deps: CreateDeps,
  created: ReadonlyArray<{ id: string; userId: string }>,
  title: string,
): Promise<Error | undefined> {
  if (!deps.events || created.length === 0 || created.length > MAX_PUSHED_RECIPIENTS) return;
  try {
    const userIds = [...new Set(created.map((row) => row.userId))];
    const counts = await deps.db
      .select({ userId: notifications.userId, unread: count() })
      .from(notifications)
      .where(and(inArray(notifications.userId, userIds), sql`${notifications.read} = false`))
      .groupBy(notifications.userId);
    const unreadOf = new Map(counts.map((row) => [row.userId, row.unread]));
    await publishUserEvents(
      deps.events.redis,
      deps.events.prefix,
      created.map((row) => ({
        type: 'notification:new',
        userId: row.userId,
        notificationId: row.id,
        title,
        unreadCount: unreadOf.get(row.userId) ?? 1,
      })),
    );
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

/**
 * Creates notifications and their delivery jobs: the rows in one set-based statement (a role
 * broadcast or 10 000 ids is one INSERT … SELECT, not a loop), committed before any job is
 * added, so a crash between the two leaves `pending` rows that the sweeper delivers. Then the
 * recipients' open sockets hear `notification:new`. Unknown recipients change nothing.
 */
export async function createNotifications(
  deps: CreateDeps,
  input: CreateNotificationsInput,
  meta: { requestId?: string } = {},
): Promise<CreateNotificationsResult> {
  const body = CreateNotificationsSchema.parse(input);
  const content = {
    type: body.type,
    title: body.title,
    message: body.message,
    actionUrl: body.actionUrl ?? null,
    priority: body.priority,
    metadata: body.metadata ?? null,
    critical: body.critical,
  };
  const columns = sql`(user_id, type, title, message, action_url, priority, metadata, critical)`;
  const values = sql`${content.type}::notification_type, ${content.title}, ${content.message},
    ${content.actionUrl}, ${content.priority}::notification_priority,
    ${content.metadata === null ? null : JSON.stringify(content.metadata)}::jsonb, ${content.critical}`;

  let created: Array<{ id: string; userId: string }>;
  if (body.role !== undefined) {
    const rows = await deps.db.execute<{ id: string; user_id: string }>(sql`
      insert into ${notifications} ${columns}
      select ${users.id}, ${values} from ${users} where ${eq(users.role, body.role)}
      returning id, user_id`);
    created = rows.map((row) => ({ id: row.id, userId: row.user_id }));
  } else {
    const recipients = [...new Set(body.userIds ?? [body.userId!])];
    try {
      created = await deps.db.transaction(async (tx) => {
        const rows = await tx.execute<{ id: string; user_id: string }>(sql`
          insert into ${notifications} ${columns}
          select ${users.id}, ${values}
          from jsonb_array_elements_text(${JSON.stringify(recipients)}::jsonb) as recipient
          join ${users} on ${users.id} = recipient
          returning id, user_id`);
        if (rows.length !== recipients.length) {
          const found = new Set(rows.map((row) => row.user_id));
          throw new MissingRecipients(recipients.filter((id) => !found.has(id)));
        }
        return rows.map((row) => ({ id: row.id, userId: row.user_id }));
      });
    } catch (error) {
      if (error instanceof MissingRecipients) return { ok: false, missingUserIds: error.userIds };
      throw error;
    }
  }

  const ids = created.map((row) => row.id);
  const { error } = await enqueueDeliveries(deps.producer, ids, meta);
  const publishError = await publishCreated(deps, created, content.title);
  return {
    ok: true,
    count: ids.length,
    ...(body.role === undefined ? { ids } : {}),
    ...(error ? { enqueueError: error } : {}),
    ...(publishError ? { publishError } : {}),
  };
}
