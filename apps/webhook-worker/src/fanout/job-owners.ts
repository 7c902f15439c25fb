import type { Database } from '@conveyor/db/client';
import { jobRuns } from '@conveyor/db/schema';
import type { JobEvent } from '@conveyor/job-events/events';
import type { JobInfo } from '@conveyor/job-events/job-info';
import { and, eq, inArray, or } from 'drizzle-orm';

/** Whom a job runs for, and its name: what a webhook message says beyond the event. */
export interface JobOwner {
  ownerId: string;
  name: string;
}

export const jobKeyOf = (queue: string, jobId: string) => `${queue}\u0000${jobId}`;

/**
 * The owner of each event's job, by `jobKeyOf`: from the job's hash in Redis while BullMQ
 * keeps it, else from its `job_runs` row, since a job may be gone by the time its events are
 * read (`removeOnComplete`, retention, a backlog after an outage). Jobs without an owner
 * (system jobs) and jobs neither knows are left out.
 */
export async function findJobOwners(
  db: Database,
  items: readonly { event: JobEvent; info: JobInfo | null }[],
): Promise<Map<string, JobOwner>> {
  const owners = new Map<string, JobOwner>();
  const gone = new Map<string, Set<string>>();
  for (const { event, info } of items) {
    if (info?.ownerId) {
      owners.set(jobKeyOf(event.queue, event.jobId), { ownerId: info.ownerId, name: info.name });
    } else if (!info) {
      const ids = gone.get(event.queue) ?? new Set<string>();
      gone.set(event.queue, ids.add(event.jobId));
    }
  }
  if (gone.size === 0) return owners;

  // One index scan per queue on the primary key (queue, job_id).
  const rows = await db
    .select({
      queue: jobRuns.queue,
      jobId: jobRuns.jobId,
      ownerId: jobRuns.ownerId,
      name: jobRuns.name,
    })
    .from(jobRuns)
    .where(
      or(
        ...[...gone].map(([queue, ids]) =>
          and(eq(jobRuns.queue, queue), inArray(jobRuns.jobId, [...ids])),
        ),
      ),
    );
  for (const row of rows) {
    if (row.ownerId) {
      owners.set(jobKeyOf(row.queue, row.jobId), { ownerId: row.ownerId, name: row.name });
    }
  }
  return owners;
}
