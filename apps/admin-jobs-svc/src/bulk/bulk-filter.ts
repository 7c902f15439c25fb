import type { Database } from '@conveyor/db/client';
import {
  jobRuns,
  type AdminBatchAction,
  type AdminBatchCursor,
  type JobRun,
} from '@conveyor/db/schema';
import { and, count, desc, inArray, sql, type SQL } from 'drizzle-orm';
import { whereOf } from '../jobs/search.js';

/**
 * The job search's filter as a batch row stores it (`admin_batches.filter`): times stay ISO
 * strings, and only the fields given are present. A bulk action picks no `state`: the action
 * decides which states it applies to.
 */
export interface BulkFilter {
  queue?: string | undefined;
  name?: string | undefined;
  ownerId?: string | undefined;
  /** Created at or after (ISO 8601). */
  from?: string | undefined;
  /** Created at or before (ISO 8601). */
  to?: string | undefined;
  q?: string | undefined;
}

/** The action's own parameters, as the batch row stores them. */
export interface BulkParameters {
  /** Cancel only: abort running jobs through their worker too. @defaultValue false */
  terminate?: boolean | undefined;
}

/** The registry states a bulk action applies to. */
export function statesOf(action: AdminBatchAction, parameters: BulkParameters): JobRun['state'][] {
  if (action === 'retry') return ['failed'];
  return parameters.terminate === true ? ['waiting', 'delayed', 'active'] : ['waiting', 'delayed'];
}

/** The registry rows a bulk action acts on: the search filter (its very SQL) and the states. */
export function targetsOf(
  action: AdminBatchAction,
  filter: BulkFilter,
  parameters: BulkParameters,
): SQL {
  return and(
    whereOf({
      queue: filter.queue,
      name: filter.name,
      ownerId: filter.ownerId,
      q: filter.q,
      from: filter.from === undefined ? undefined : new Date(filter.from),
      to: filter.to === undefined ? undefined : new Date(filter.to),
    }),
    inArray(jobRuns.state, statesOf(action, parameters)),
  )!;
}

/**
 * The walk's order: the job search's (newest first, as job_runs' `created_at DESC` indexes
 * keep it), with queue then job id breaking ties, since BullMQ's counter ids repeat across
 * queues. Every key is descending, so "after the cursor" is one row comparison.
 */
export const walkOrder = [
  sql`${jobRuns.createdAt} desc nulls last`,
  desc(jobRuns.queue),
  desc(jobRuns.jobId),
];

/** The rows after `cursor` in `walkOrder`; every row when there is no cursor yet. */
export function afterCursor(cursor: AdminBatchCursor | null): SQL | undefined {
  if (cursor === null) return undefined;
  const rest = sql`(${jobRuns.queue}, ${jobRuns.jobId}) < (${cursor.queue}, ${cursor.jobId})`;
  if (cursor.createdAt === null) return sql`${jobRuns.createdAt} is null and ${rest}`;
  // Nulls sort last, so they all come after any dated row.
  return sql`(${jobRuns.createdAt} is null or (${jobRuns.createdAt}, ${jobRuns.queue}, ${jobRuns.jobId}) < (${cursor.createdAt}::timestamptz, ${cursor.queue}, ${cursor.jobId}))`;
}

/**
 * The creation time as PostgreSQL holds it, microseconds included (ISO 8601): a cursor cut to
 * JavaScript's milliseconds would skip rows created in the same millisecond after it.
 */
export const createdAtText = sql<string | null>`to_json(${jobRuns.createdAt}) #>> '{}'`;

/** How many rows the action would act on, counted up to `limit` (a LIMIT, not a full count). */
export async function countTargets(
  db: Database,
  action: AdminBatchAction,
  filter: BulkFilter,
  parameters: BulkParameters,
  limit: number,
): Promise<number> {
  const matches = db
    .select({ one: sql`1` })
    .from(jobRuns)
    .where(targetsOf(action, filter, parameters))
    .limit(limit)
    .as('matches');
  const [counted] = await db.select({ total: count() }).from(matches);
  return counted?.total ?? 0;
}
