import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

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

/** Where a bulk action stands: `queued` until a worker takes it, then `running`, then an end. */
export const adminBatchStates = ['queued', 'running', 'completed', 'failed'] as const;
export type AdminBatchState = (typeof adminBatchStates)[number];

/** The bulk actions: retry failed jobs, or cancel unfinished ones, chosen by a filter. */
export const adminBatchActions = ['retry', 'cancel'] as const;
export type AdminBatchAction = (typeof adminBatchActions)[number];

/** The last registry row a batch has dealt with: it resumes after it when its job is retried. */
export interface AdminBatchCursor {
  /** ISO 8601 creation time of the row (null sorts last, as in the job search). */
  createdAt: string | null;
  queue: string;
  jobId: string;
}

/**
 * Bulk retry and bulk cancel by filter (issue 7), each run as a tracked batch job on the
 * `admin-bulk` queue. The row is the batch's truth: the job reads its filter and cursor here
 * and writes its counts back page by page, which `GET /api/admin/jobs/batches/:batchId` and the
 * live `batch` room report. It outlives the BullMQ job, like the audit trail it is linked from.
 */
export const adminBatches = pgTable(
  'admin_batches',
  {
    id: uuid().primaryKey().defaultRandom(),
    action: text().$type<AdminBatchAction>().notNull(),
    /** The admin who started it (the token's `sub`). */
    adminId: text().notNull(),
    /** The job search filter that chose the jobs (queue, name, owner, time range, text). */
    filter: jsonb().$type<Record<string, unknown>>().notNull(),
    /** The action's own parameters (cancel: `terminate`). */
    parameters: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    state: text().$type<AdminBatchState>().notNull().default('queued'),
    /** Jobs the filter matched when the batch started; null until then. */
    total: integer(),
    /** Jobs dealt with so far: succeeded + skipped + failed. */
    processed: integer().notNull().default(0),
    /** Retried, or cancelled. */
    succeeded: integer().notNull().default(0),
    /** No longer in a state the action applies to (already retried, finished meanwhile, gone). */
    skipped: integer().notNull().default(0),
    /** The action itself failed for the job (Redis refused it); `error` holds the last reason. */
    failed: integer().notNull().default(0),
    cursor: jsonb().$type<AdminBatchCursor>(),
    error: text(),
    createdAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    startedAt: timestamp({ withTimezone: true, mode: 'date' }),
    updatedAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    finishedAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (table) => [
    check('admin_batches_action_check', sql`${table.action} in ('retry', 'cancel')`),
    check(
      'admin_batches_state_check',
      sql`${table.state} in ('queued', 'running', 'completed', 'failed')`,
    ),
    index('admin_batches_created_idx').on(table.createdAt.desc()),
    // The live `batch` room's poll: batches not finished, or finished since its last look.
    index('admin_batches_updated_idx').on(table.updatedAt.desc()),
  ],
);

export type AdminBatch = typeof adminBatches.$inferSelect;
export type NewAdminBatch = typeof adminBatches.$inferInsert;
