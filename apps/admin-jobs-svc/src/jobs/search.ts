import type { Database } from '@conveyor/db/client';
import { jobRunColumns, jobRuns, type JobRun } from '@conveyor/db/schema';
import { and, count, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm';

export interface JobSearchFilters {
  queue?: string | undefined;
  name?: string | undefined;
  state?: JobRun['state'] | undefined;
  ownerId?: string | undefined;
  /** Created at or after. */
  from?: Date | undefined;
  /** Created at or before. */
  to?: Date | undefined;
  /** Words to find in the job's name, payload summary or error text (web search syntax). */
  q?: string | undefined;
}

export interface JobSearchPage {
  /** From 1. */
  page: number;
  limit: number;
}

export interface JobSearchResult {
  rows: JobRun[];
  /** The number of matching jobs, or the cap when `exact` is false (there are more). */
  total: number;
  exact: boolean;
}

/**
 * Matches counted at most. An exact count reads every matching row, which over a registry of
 * millions (say, every failed job) costs far more than the page itself; past this many, the
 * total is only "at least", which is all a pager needs.
 */
export const COUNT_CAP = 10_000;

/**
 * The cap of a full-text search. Its matches come from the GIN index in physical order, so
 * counting them reads one heap page per match (GIN has no index-only scan); over a million rows
 * 10 000 matches meant ~7 000 pages and 30–50 ms, 1 000 keep it to a few milliseconds.
 */
export const TEXT_COUNT_CAP = 1_000;

/**
 * Newest first, in the order job_runs' (…, created_at DESC NULLS LAST) indexes keep, so
 * PostgreSQL can read them in order; the id breaks ties so pages never overlap.
 */
const newestFirst = [sql`${jobRuns.createdAt} desc nulls last`, desc(jobRuns.jobId)];

/** The filters as SQL over job_runs; shared by the search and the bulk actions (src/bulk). */
export function whereOf(filters: JobSearchFilters): SQL | undefined {
  return and(
    filters.queue === undefined ? undefined : eq(jobRuns.queue, filters.queue),
    filters.name === undefined ? undefined : eq(jobRuns.name, filters.name),
    filters.state === undefined ? undefined : eq(jobRuns.state, filters.state),
    filters.ownerId === undefined ? undefined : eq(jobRuns.ownerId, filters.ownerId),
    filters.from === undefined ? undefined : gte(jobRuns.createdAt, filters.from),
    filters.to === undefined ? undefined : lte(jobRuns.createdAt, filters.to),
    // The stored document, which job_runs_search_idx indexes.
    filters.q === undefined
      ? undefined
      : sql`${jobRuns.searchDocument} @@ websearch_to_tsquery('simple', ${filters.q})`,
  );
}

/** The admin job search over the registry, which outlives BullMQ's retention in Redis. */
export function createJobSearch(db: Database) {
  return async function search(
    filters: JobSearchFilters,
    { page, limit }: JobSearchPage,
  ): Promise<JobSearchResult> {
    const where = whereOf(filters);
    const offset = (page - 1) * limit;
    const cap = filters.q === undefined ? COUNT_CAP : TEXT_COUNT_CAP;
    const rows = await db
      .select(jobRunColumns)
      .from(jobRuns)
      .where(where)
      .orderBy(...newestFirst)
      .limit(limit)
      .offset(offset);
    // A short page that is not past the end already tells the total: one query, not two.
    if (rows.length < limit && (rows.length > 0 || offset === 0)) {
      return { rows, total: offset + rows.length, exact: true };
    }
    const matches = db
      .select({ one: sql`1` })
      .from(jobRuns)
      .where(where)
      .limit(cap + 1)
      .as('matches');
    const [counted] = await db.select({ total: count() }).from(matches);
    const total = counted?.total ?? 0;
    return total > cap ? { rows, total: cap, exact: false } : { rows, total, exact: true };
  };
}

export type JobSearch = ReturnType<typeof createJobSearch>;
