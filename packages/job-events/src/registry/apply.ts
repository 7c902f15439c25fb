import type { Database } from '@conveyor/db/client';
import { jobRunColumns, jobRuns } from '@conveyor/db/schema';
import { and, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { JobEvent } from '../events.js';
import type { JobInfo } from '../job-info.js';
import { foldEvents, type RunState } from './fold.js';
import { recordNewJobs } from './record.js';

interface JobBatch {
  queue: string;
  jobId: string;
  events: JobEvent[];
  info: JobInfo | null;
}

/** One entry per job, in (queue, job id) order: rows are locked in that order, so two
 * consumers applying overlapping batches wait for each other instead of deadlocking. */
function groupByJob(items: ReadonlyArray<{ event: JobEvent; info: JobInfo | null }>): JobBatch[] {
  const groups = new Map<string, JobBatch>();
  for (const { event, info } of items) {
    const key = `${event.queue}\u0000${event.jobId}`;
    const group = groups.get(key);
    if (group) {
      group.events.push(event);
      group.info ??= info;
    } else {
      groups.set(key, { queue: event.queue, jobId: event.jobId, events: [event], info });
    }
  }
  return [...groups.values()].sort(
    (a, b) => a.queue.localeCompare(b.queue) || a.jobId.localeCompare(b.jobId),
  );
}

/** `(queue = q1 and job_id in (…)) or (queue = q2 and job_id in (…))`: one index scan per queue. */
function whereJobs(jobs: readonly JobBatch[]): SQL | undefined {
  const byQueue = new Map<string, string[]>();
  for (const job of jobs) byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), job.jobId]);
  return or(
    ...[...byQueue].map(([queue, ids]) =>
      and(eq(jobRuns.queue, queue), inArray(jobRuns.jobId, ids)),
    ),
  );
}

const excluded = (column: string) => sql.raw(`excluded.${column}`);

/**
 * Applies events to `job_runs`, idempotently, in one transaction of three statements however
 * many events the batch holds: insert the rows of new jobs, lock the batch's rows, write each
 * changed row once with its events folded in (a hundred progress events of one job are one
 * write of the newest progress). An event whose `streamId` is not newer than the row's
 * `last_event_id` changes nothing, so a replayed batch or a late older event never overwrites
 * a newer state. A job with no row is created from its JobInfo; with no JobInfo either (gone
 * from Redis) its events are skipped. Returns the number of rows written.
 */
export async function applyJobEvents(
  db: Database,
  events: ReadonlyArray<{ event: JobEvent; info: JobInfo | null }>,
): Promise<number> {
  const jobs = groupByJob(events);
  if (jobs.length === 0) return 0;
  return db.transaction(async (tx) => {
    // Jobs seen for the first time; rows that exist are left alone.
    await recordNewJobs(
      tx,
      jobs.flatMap(({ queue, jobId, info }) => (info === null ? [] : [{ queue, jobId, info }])),
    );
    const rows = await tx
      .select(jobRunColumns)
      .from(jobRuns)
      .where(whereJobs(jobs))
      .orderBy(jobRuns.queue, jobRuns.jobId)
      .for('update');
    const eventsOf = new Map(jobs.map((job) => [`${job.queue}\u0000${job.jobId}`, job.events]));
    const changed = rows.flatMap((row) => {
      const next: RunState | null = foldEvents(
        row,
        eventsOf.get(`${row.queue}\u0000${row.jobId}`) ?? [],
      );
      return next ? [{ ...row, ...next }] : [];
    });
    if (changed.length === 0) return 0;
    // An upsert of rows that exist (and are locked) is a multi-row UPDATE in one statement.
    await tx
      .insert(jobRuns)
      .values(changed)
      .onConflictDoUpdate({
        target: [jobRuns.queue, jobRuns.jobId],
        set: {
          state: excluded('state'),
          progress: excluded('progress'),
          attemptsMade: excluded('attempts_made'),
          result: excluded('result'),
          failedReason: excluded('failed_reason'),
          startedAt: excluded('started_at'),
          finishedAt: excluded('finished_at'),
          lastEventId: excluded('last_event_id'),
          updatedAt: excluded('updated_at'),
        },
      });
    return changed.length;
  });
}
