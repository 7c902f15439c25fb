import type { Database } from '@conveyor/db/client';
import { jobRuns } from '@conveyor/db/schema';
import { and, isNotNull, lt, sql } from 'drizzle-orm';

/** Rows deleted per statement: short transactions, so the registry's writes never wait long. */
const CHUNK = 5_000;

export interface PruneOptions {
  /**
   * Stops between chunks once aborted (a closing service): a first prune of a long history can
   * take many chunks, and what it leaves is deleted by the next run.
   */
  signal?: AbortSignal;
}

/**
 * Deletes finished runs (completed or failed) that finished more than `olderThanDays` days
 * ago; unfinished runs are kept however old. BullMQ forgets jobs by the retention in
 * queue-contracts' options (a day for completed, a week for failed); `job_runs` keeps the
 * history until this runs. Idempotent, so instances pruning at once only share the work.
 * Returns the number of rows deleted.
 */
export async function pruneJobRuns(
  db: Database,
  olderThanDays = 90,
  options: PruneOptions = {},
): Promise<number> {
  const cutoff = new Date(Date.now() - olderThanDays * 86_400_000);
  let total = 0;
  while (!options.signal?.aborted) {
    const doomed = db
      .select({ queue: jobRuns.queue, jobId: jobRuns.jobId })
      .from(jobRuns)
      .where(and(isNotNull(jobRuns.finishedAt), lt(jobRuns.finishedAt, cutoff)))
      .limit(CHUNK);
    const deleted = await db
      .delete(jobRuns)
      .where(sql`(${jobRuns.queue}, ${jobRuns.jobId}) in ${doomed}`)
      .returning({ jobId: jobRuns.jobId });
    total += deleted.length;
    if (deleted.length < CHUNK) break;
  }
  return total;
}
