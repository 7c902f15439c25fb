import type { Database } from '@conveyor/db/client';
import { notifications, users } from '@conveyor/db/schema';
import type { Producer } from '@conveyor/queue-contracts/producer';
import { eq, sql } from 'drizzle-orm';
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
  | { ok: true; count: number; ids?: string[]; enqueueError?: Error }
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
}

/**
 * Creates notifications and their delivery jobs: the rows in one set-based statement (a role
 * broadcast or 10 000 ids is one INSERT … SELECT, not a loop), committed before any job is
 * added, so a crash between the two leaves `pending` rows that the sweeper delivers.
 * Unknown recipients change nothing.
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

  let ids: string[];
  if (body.role !== undefined) {
    const rows = await deps.db.execute<{ id: string }>(sql`
      insert into ${notifications} ${columns}
      select ${users.id}, ${values} from ${users} where ${eq(users.role, body.role)}
      returning id`);
    ids = rows.map((row) => row.id);
  } else {
    const recipients = [...new Set(body.userIds ?? [body.userId!])];
    try {
      ids = await deps.db.transaction(async (tx) => {
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
        return rows.map((row) => row.id);
      });
    } catch (error) {
      if (error instanceof MissingRecipients) return { ok: false, missingUserIds: error.userIds };
      throw error;
    }
  }

  const { error } = await enqueueDeliveries(deps.producer, ids, meta);
  return {
    ok: true,
    count: ids.length,
    ...(body.role === undefined ? { ids } : {}),
    ...(error ? { enqueueError: error } : {}),
  };
}
