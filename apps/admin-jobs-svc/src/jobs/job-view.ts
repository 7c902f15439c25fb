import type { JobRun } from '@conveyor/db/schema';

/** Characters of an error text a list shows; the detail shows all of it. */
export const SHORT_REASON_LENGTH = 200;

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

/** The error text cut to a line of a list. */
export function shortReason(reason: string | null): string | null {
  if (reason === null || reason.length <= SHORT_REASON_LENGTH) return reason;
  return `${reason.slice(0, SHORT_REASON_LENGTH - 1)}…`;
}

/** A registry row as the admin job search lists it; timestamps are ISO 8601. */
export function toJobListItem(row: JobRun) {
  return {
    queue: row.queue,
    jobId: row.jobId,
    name: row.name,
    ownerId: row.ownerId,
    state: row.state,
    progress: row.progress,
    attemptsMade: row.attemptsMade,
    maxAttempts: row.maxAttempts,
    failedReason: shortReason(row.failedReason),
    createdAt: row.createdAt.toISOString(),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
  };
}

export type JobListItem = ReturnType<typeof toJobListItem>;
