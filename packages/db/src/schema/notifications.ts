import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  smallint,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './users.js';

/** Spec 001 `NotificationType`. Never rename a value without a migration. */
export const notificationType = pgEnum('notification_type', [
  'LICENSE',
  'PAYOUT',
  'ROYALTY',
  'PROJECT',
  'SYSTEM',
  'MESSAGE',
  'POST_ASSIGNED',
  'POST_STATUS_CHANGED',
  'BLOG',
]);

/** Spec 001 `NotificationPriority`. */
export const notificationPriority = pgEnum('notification_priority', [
  'LOW',
  'MEDIUM',
  'HIGH',
  'URGENT',
]);

/**
 * Where a notification's email stands. `pending` rows are the outbox: the delivery sweeper
 * enqueues any that lost their job. `digest` rows wait for the user's digest.
 */
export const emailStatus = pgEnum('email_status', [
  'pending',
  'sending',
  'sent',
  'skipped',
  'digest',
  'failed',
]);

export const notifications = pgTable(
  'notifications',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: notificationType().notNull(),
    title: text().notNull(),
    message: text().notNull(),
    actionUrl: text(),
    priority: notificationPriority().notNull().default('MEDIUM'),
    /**
     * URGENT 3 > HIGH 2 > MEDIUM 1 > LOW 0, stored so the display order (spec 001) is one
     * index scan.
     */
    priorityRank: smallint()
      .notNull()
      .generatedAlwaysAs(
        sql`case priority when 'URGENT' then 3 when 'HIGH' then 2 when 'MEDIUM' then 1 else 0 end`,
      ),
    read: boolean().notNull().default(false),
    readAt: timestamp({ withTimezone: true, mode: 'date' }),
    metadata: jsonb().$type<Record<string, unknown>>(),
    /** A critical security notification: email regardless of preferences. Set by ADMIN creation only. */
    critical: boolean().notNull().default(false),
    emailStatus: emailStatus().notNull().default('pending'),
    emailAttempts: integer().notNull().default(0),
    /** When a worker claimed the email; a stale claim is a crashed worker's and may be retaken. */
    emailClaimedAt: timestamp({ withTimezone: true, mode: 'date' }),
    emailSentAt: timestamp({ withTimezone: true, mode: 'date' }),
    /** Why no email was sent (preferences), or why sending failed for good. */
    emailReason: text(),
    createdAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    // The inbox in display order: unread first, then priority, then newest.
    index('notifications_inbox_idx').on(
      table.userId,
      table.read,
      table.priorityRank.desc(),
      table.createdAt.desc(),
      table.id.desc(),
    ),
    // The unread badge: an index-only count over a user's unread rows.
    index('notifications_unread_idx')
      .on(table.userId)
      .where(sql`${table.read} = false`),
    index('notifications_user_type_idx').on(table.userId, table.type),
    // The outbox sweep looks only at rows still waiting for their job.
    index('notifications_email_pending_idx')
      .on(table.createdAt)
      .where(sql`${table.emailStatus} in ('pending', 'sending')`),
  ],
);

export const digestFrequency = pgEnum('digest_frequency', [
  'IMMEDIATE',
  'DAILY',
  'WEEKLY',
  'NEVER',
]);

/** Spec 001 preferences, one row per user, created on first read with the documented defaults. */
export const notificationPreferences = pgTable(
  'notification_preferences',
  {
    userId: text()
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    enabledTypes: notificationType()
      .array()
      .notNull()
      .default(
        sql`array['LICENSE','PAYOUT','ROYALTY','PROJECT','SYSTEM','MESSAGE','POST_ASSIGNED','POST_STATUS_CHANGED','BLOG']::notification_type[]`,
      ),
    digestFrequency: digestFrequency().notNull().default('IMMEDIATE'),
    emailEnabled: boolean().notNull().default(true),
    /** Always true (spec 001): in-app notifications cannot be turned off. */
    inAppEnabled: boolean().notNull().default(true),
    lastDigestSentAt: timestamp({ withTimezone: true, mode: 'date' }),
    /**
     * IANA time zone (beyond the spec): a DAILY or WEEKLY digest goes at 09:00 in this zone, so
     * the default `UTC` is exactly spec 001's 09:00 UTC.
     */
    timezone: text().notNull().default('UTC'),
    updatedAt: timestamp({ withTimezone: true, mode: 'date' })
      .notNull()
      .defaultNow()
      .$onUpdate(() => new Date()),
  },
  (table) => [
    /** The digest's selection: a frequency's users with email on, by zone. */
    index('notification_preferences_digest_idx')
      .on(table.digestFrequency, table.timezone)
      .where(sql`${table.emailEnabled}`),
  ],
);

export type Notification = typeof notifications.$inferSelect;
export type NotificationPreferences = typeof notificationPreferences.$inferSelect;
