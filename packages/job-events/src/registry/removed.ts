import { jobRuns, type JobRun } from '@conveyor/db/schema';
import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { RegistryWriter } from './record.js';

/**
 * Records a job removed from its queue before it ran as failed with `reason`, unless the
 * registry already shows it finished. The registry consumer applies only events newer than a
 * row's `last_event_id`: moving it to `eventId` (read after the removal) retires the events up
 * to the removal's own, which would otherwise make the row `waiting` again and then `failed`
 * with the registry's generic reason. Later events (a new run under the same id) apply as usual.
 */
export async function markJobRemoved(
  db: RegistryWriter,
  job: Pick<JobRun, 'queue' | 'jobId'>,
  reason: string,
  eventId: string | null,
): Promise<void> {
  await db
    .update(jobRuns)
    .set({
      state: 'failed',
      failedReason: reason,
      finishedAt: sql`now()`,
      ...(eventId === null ? {} : { lastEventId: eventId }),
    })
    .where(
      and(
        eq(jobRuns.queue, job.queue),
        eq(jobRuns.jobId, job.jobId),
        notInArray(jobRuns.state, ['completed', 'failed']),
      ),
    );
}
