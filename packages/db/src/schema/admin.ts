import { index, bigint, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Every action an admin takes on jobs and queues (spec 002, 003): retry, cancel, trigger,
 * pause, resume, bulk actions, clean. Kept apart from `users` on purpose (no foreign key): the
 * trail outlives the accounts it names.
 */
export const adminAuditLog = pgTable(
  'admin_audit_log',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** The admin's user id (the token's `sub`). */
    adminId: text().notNull(),
    /** `retry`, `cancel`, `trigger`, `pause`, `resume`, `bulk-retry`, `bulk-cancel`, `clean`. */
    action: text().notNull(),
    /** What it acted on: `{ queue }`, `{ queue, jobId }`, `{ scheduler }`. */
    target: jsonb().$type<Record<string, unknown>>().notNull(),
    /** The request's parameters (filters, ages, reasons). */
    parameters: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** `succeeded`, `failed` (with `error`), or `started` for a tracked batch. */
    outcome: text().notNull(),
    error: text(),
    createdAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    index('admin_audit_log_created_idx').on(table.createdAt.desc()),
    index('admin_audit_log_admin_idx').on(table.adminId, table.createdAt.desc()),
  ],
);

export type AdminAuditEntry = typeof adminAuditLog.$inferSelect;
export type NewAdminAuditEntry = typeof adminAuditLog.$inferInsert;
