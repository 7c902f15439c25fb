import { getTableColumns, sql } from 'drizzle-orm';
import {
  customType,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { timestamps } from './columns.js';
import { users } from './users.js';

/** Registry states: spec 004's job statuses. A cancelled job ends `failed` with its reason. */
export const jobState = pgEnum('job_state', [
  'waiting',
  'delayed',
  'active',
  'completed',
  'failed',
]);

/** PostgreSQL's `tsvector`, read back as its text form (nothing reads it but the search). */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * The words the admin job search matches (issue 7): the job's name, its payload summary and its
 * error text, in the `simple` configuration (no stemming, no stop words: ids and error codes
 * are matched as written).
 */
const searchDocumentExpression = sql`to_tsvector('simple', name || ' ' || coalesce(payload_summary::text, '') || ' ' || coalesce(failed_reason, ''))`;

/**
 * The job registry, spec 001's "Job Log (Database)": one row per BullMQ job, kept after BullMQ
 * removes the job from Redis. Written from the durable job-event stream.
 */
export const jobRuns = pgTable(
  'job_runs',
  {
    queue: text().notNull(),
    jobId: text().notNull(),
    name: text().notNull(),
    /** The user the job runs for; null for system jobs (schedulers, sweepers). */
    ownerId: text().references(() => users.id, { onDelete: 'set null' }),
    state: jobState().notNull().default('waiting'),
    /** 0 to 100, or the structured progress a job reports. */
    progress: jsonb().$type<number | Record<string, unknown>>().notNull().default(0),
    attemptsMade: integer().notNull().default(0),
    maxAttempts: integer().notNull().default(1),
    /** A short, secret-free summary of the payload, for search and display. */
    payloadSummary: jsonb().$type<Record<string, unknown>>(),
    result: jsonb(),
    failedReason: text(),
    stacktrace: text().array(),
    /** Position of the last applied event in the job-event stream, so replays change nothing. */
    lastEventId: text(),
    startedAt: timestamp({ withTimezone: true, mode: 'date' }),
    finishedAt: timestamp({ withTimezone: true, mode: 'date' }),
    /**
     * The full-text document of the admin search, stored: a search that walks the newest rows
     * tests each one's stored vector instead of computing it (which cost ~15 µs a row, the bulk
     * of a search over a million rows). Written by PostgreSQL on every insert and update.
     */
    searchDocument: tsvector().generatedAlwaysAs(searchDocumentExpression),
    ...timestamps,
  },
  (table) => [
    primaryKey({ columns: [table.queue, table.jobId] }),
    index('job_runs_owner_created_idx').on(table.ownerId, table.createdAt.desc()),
    index('job_runs_owner_state_created_idx').on(
      table.ownerId,
      table.state,
      table.createdAt.desc(),
    ),
    // The user jobs API looks a job up by its id alone: jobs run for a user get UUID ids, unique
    // across queues (queue-contracts' producer sees to it).
    index('job_runs_job_id_idx').on(table.jobId),
    index('job_runs_queue_state_created_idx').on(table.queue, table.state, table.createdAt.desc()),
    index('job_runs_finished_idx')
      .on(table.finishedAt)
      .where(sql`${table.finishedAt} is not null`),
    // The admin job search with no filter that has an index of its own: newest first.
    index('job_runs_created_idx').on(table.createdAt.desc()),
    // The admin job search's full text (name, payload summary, error text).
    index('job_runs_search_idx').using('gin', table.searchDocument),
  ],
);

/**
 * A registry row as the code reads it: every column but the search document, which only the
 * search's WHERE clause reads (shipping it with each row would roughly double a row's bytes).
 */
export type JobRun = Omit<typeof jobRuns.$inferSelect, 'searchDocument'>;

/** The columns of `JobRun`, for `db.select(jobRunColumns).from(jobRuns)`. */
export const jobRunColumns = (() => {
  const { searchDocument: _searchDocument, ...columns } = getTableColumns(jobRuns);
  return columns;
})();
export type NewJobRun = typeof jobRuns.$inferInsert;
