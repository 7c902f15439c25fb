import type { JobRun } from '@conveyor/db/schema';

const epochMs = (date: Date | null): number | null => date?.getTime() ?? null;

/** Spec 004 "Get Job Status"; timestamps are epoch milliseconds. */
export interface JobStatus {
  id: string;
  name: string;
  state: JobRun['state'];
  progress: JobRun['progress'];
  result: unknown;
  failedReason: string | null;
  timestamp: { created: number; started: number | null; finished: number | null };
}

/** A registry row as spec 004 "Get Job Status" shows it. */
export function toJobStatus(row: JobRun): JobStatus {
  return {
    id: row.jobId,
    name: row.name,
    state: row.state,
    progress: row.progress,
    result: row.result ?? null,
    failedReason: row.failedReason,
    timestamp: {
      created: row.createdAt.getTime(),
      started: epochMs(row.startedAt),
      finished: epochMs(row.finishedAt),
    },
  };
}

/** A registry row as spec 004 "List Jobs" shows it: the status without result or reason. */
export function toJobSummary(row: JobRun) {
  const { result: _result, failedReason: _failedReason, ...summary } = toJobStatus(row);
  return summary;
}
