import { pgEnum, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamps } from './columns.js';

/** The four roles of spec 000. Never rename a value without a migration. */
export const userRole = pgEnum('user_role', ['ADMIN', 'CREATOR', 'BRAND', 'VIEWER']);

/**
 * Users are provisioned just in time from verified token claims; `id` is the token's `sub`.
 * No service has a sign-up of its own.
 */
export const users = pgTable('users', {
  id: text().primaryKey(),
  email: text(),
  name: text(),
  role: userRole().notNull(),
  /** Spec 004 "Migration": the legacy single webhook URL, still served for `completed` events. */
  webhookUrl: text(),
  ...timestamps,
});

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
