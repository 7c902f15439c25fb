import type { Database } from '@conveyor/db/client';
import { jobRuns } from '@conveyor/db/schema';
import { and, eq } from 'drizzle-orm';

/**
 * Whether a job of the registry runs for the user. Looked up by `job_id` alone (user jobs get
 * UUIDs, unique across queues; `job_runs_job_id_idx`), with the owner in the query, so another
 * user's job and a missing one are the same `false`.
 */
export function createJobOwnership(db: Database) {
  return async function ownsJob(userId: string, jobId: string): Promise<boolean> {
    const rows = await db
      .select({ jobId: jobRuns.jobId })
      .from(jobRuns)
      .where(and(eq(jobRuns.jobId, jobId), eq(jobRuns.ownerId, userId)))
      .limit(1);
    return rows.length > 0;
  };
}

export type OwnsJob = ReturnType<typeof createJobOwnership>;
