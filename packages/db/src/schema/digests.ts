import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { digestFrequency } from './notifications.js';
import { users } from './users.js';

/**
 * The digest's bookkeeping (spec 001 "Notification Digest System"): which hourly ticks were
 * planned, the runs they started, and one row per digest email with its delivery state.
 */

/**
 * Every hourly tick that has been planned, once. A tick plans the hours since the last planned
 * one, so hours missed while every worker was down are caught up, each exactly once.
 */
export const digestTicks = pgTable('digest_ticks', {
  /** The UTC hour the tick stands for (minutes and seconds zero). */
  hour: timestamp({ withTimezone: true, mode: 'date' }).primaryKey(),
  plannedAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * A DAILY or WEEKLY run: the users of that frequency whose local 09:00 falls in the hour up to
 * the tick (after 08:00, up to 09:00 UTC for the 09:00 tick). For the default zone (UTC) that
 * is the spec's 09:00 UTC run. The admin stats (spec 002) read it.
 */
export const digestRuns = pgTable(
  'digest_runs',
  {
    id: uuid().primaryKey().defaultRandom(),
    frequency: digestFrequency().notNull(),
    /** The hour of the tick that planned the run (its windows end in the hour up to it). */
    scheduledFor: timestamp({ withTimezone: true, mode: 'date' }).notNull(),
    /** Users with this frequency and email on whose local 09:00 falls in that hour. */
    usersSelected: integer().notNull(),
    /** Of those, the users with something to send: one `digest_deliveries` row each. */
    digestsPlanned: integer().notNull(),
    /** Chunk jobs the run fans out to. */
    chunks: integer().notNull(),
    createdAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** When its last digest was settled (sent, skipped or failed). */
    finishedAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (table) => [
    unique('digest_runs_frequency_hour_key').on(table.frequency, table.scheduledFor),
    check('digest_runs_frequency_check', sql`${table.frequency} in ('DAILY', 'WEEKLY')`),
    index('digest_runs_unfinished_idx')
      .on(table.createdAt)
      .where(sql`${table.finishedAt} is null`),
  ],
);

/** Where a digest email stands. */
export const digestStatus = pgEnum('digest_status', [
  'pending',
  'sending',
  'sent',
  'skipped',
  'failed',
]);

/**
 * One digest email: at most one per (user, frequency, window), whatever the retries, duplicated
 * ticks, crashes or concurrent workers. That unique key is the exactly-once guarantee.
 */
export const digestDeliveries = pgTable(
  'digest_deliveries',
  {
    id: uuid().primaryKey().defaultRandom(),
    runId: uuid()
      .notNull()
      .references(() => digestRuns.id, { onDelete: 'cascade' }),
    /** The run's chunk (one job each) this row belongs to. */
    chunk: integer().notNull(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    frequency: digestFrequency().notNull(),
    /** The window's notifications were created at or after `windowStart`, before `windowEnd`. */
    windowStart: timestamp({ withTimezone: true, mode: 'date' }).notNull(),
    /** The user's local 09:00 that closes the window. */
    windowEnd: timestamp({ withTimezone: true, mode: 'date' }).notNull(),
    status: digestStatus().notNull().default('pending'),
    /** Claims so far; numbers each claim so only its owner releases it. */
    attempts: integer().notNull().default(0),
    claimedAt: timestamp({ withTimezone: true, mode: 'date' }),
    sentAt: timestamp({ withTimezone: true, mode: 'date' }),
    /** Notifications the sent email listed. */
    notificationCount: integer(),
    /** Why nothing was sent, or why sending failed for good. */
    reason: text(),
    createdAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    unique('digest_deliveries_once_key').on(table.userId, table.frequency, table.windowEnd),
    index('digest_deliveries_run_chunk_idx').on(table.runId, table.chunk),
    index('digest_deliveries_open_idx')
      .on(table.claimedAt)
      .where(sql`${table.status} in ('pending', 'sending')`),
  ],
);

export type DigestRun = typeof digestRuns.$inferSelect;
export type DigestDelivery = typeof digestDeliveries.$inferSelect;
