import type { Database } from '@conveyor/db/client';
import { jobRunColumns, jobRuns, type JobRun } from '@conveyor/db/schema';
import type { QueueName } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { Job, JobState } from 'bullmq';
import { and, eq } from 'drizzle-orm';

/** The newest log lines of a job that the detail shows; `logs.count` tells how many exist. */
export const LOG_LINES = 1_000;

export interface JobDetailDeps {
  db: Database;
  producer: Producer;
}

const iso = (date: Date | null | undefined): string | null => date?.toISOString() ?? null;
const isoOfMs = (ms: number | undefined): string | null =>
  ms === undefined || ms === 0 ? null : new Date(ms).toISOString();

/**
 * BullMQ's states in the registry's words: a prioritized job, or one waiting for its children,
 * is waiting to run as far as an admin is concerned.
 */
function registryState(state: JobState | 'unknown', fallback: JobRun['state']): JobRun['state'] {
  if (state === 'prioritized' || state === 'waiting-children') return 'waiting';
  return state === 'unknown' ? fallback : state;
}

/** The job as BullMQ holds it in Redis, while its retention keeps it there. */
async function readLive(producer: Producer, queueName: QueueName, jobId: string) {
  const queue = producer.queue(queueName);
  const job: Job | undefined = await queue.getJob(jobId);
  if (!job) return null;
  const [state, logs] = await Promise.all([
    job.getState(),
    queue.getJobLogs(jobId, -LOG_LINES, -1),
  ]);
  return { job, state, logs };
}

/** A job's detail, as `GET /api/admin/jobs/jobs/:queueName/:jobId` shows it. */
export interface JobDetail {
  queue: string;
  jobId: string;
  name: string;
  ownerId: string | null;
  state: JobRun['state'];
  /** Whether Redis still holds the job: `data` and `logs` come from there. */
  live: boolean;
  progress: unknown;
  attemptsMade: number;
  maxAttempts: number;
  payloadSummary: Record<string, unknown> | null;
  data: unknown;
  result: unknown;
  failedReason: string | null;
  stacktrace: string[];
  logs: { lines: string[]; count: number };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

function fromRegistry(row: JobRun): JobDetail {
  const failed = row.state === 'failed';
  return {
    queue: row.queue,
    jobId: row.jobId,
    name: row.name,
    ownerId: row.ownerId,
    state: row.state,
    live: false,
    progress: row.progress,
    attemptsMade: row.attemptsMade,
    maxAttempts: row.maxAttempts,
    payloadSummary: row.payloadSummary ?? null,
    data: null,
    result: row.result ?? null,
    failedReason: failed ? row.failedReason : null,
    stacktrace: failed ? (row.stacktrace ?? []) : [],
    logs: { lines: [], count: 0 },
    createdAt: row.createdAt.toISOString(),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
  };
}

/** BullMQ's job, which is newer than the registry's row, with what only the row knows. */
function fromRedis(
  queue: string,
  jobId: string,
  { job, state, logs }: NonNullable<Awaited<ReturnType<typeof readLive>>>,
  row: JobRun | undefined,
): JobDetail {
  const shown = registryState(state, row?.state ?? 'waiting');
  const failed = shown === 'failed';
  return {
    queue,
    jobId,
    name: job.name,
    ownerId: row?.ownerId ?? null,
    state: shown,
    live: true,
    progress: job.progress,
    attemptsMade: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? row?.maxAttempts ?? 1,
    payloadSummary: row?.payloadSummary ?? null,
    data: (job.data as unknown) ?? null,
    result: (job.returnvalue as unknown) ?? null,
    failedReason: failed ? (job.failedReason ?? null) : null,
    stacktrace: failed ? (job.stacktrace ?? []) : [],
    logs: { lines: logs.logs, count: logs.count },
    createdAt: new Date(job.timestamp).toISOString(),
    startedAt: isoOfMs(job.processedOn),
    finishedAt: isoOfMs(job.finishedOn),
  };
}

/**
 * A job's detail: the registry's row (which outlives Redis) merged with BullMQ's live job when
 * Redis still holds it, which knows the payload, the log lines and the newest state before the
 * registry's consumer has caught up. Null when neither knows the job.
 */
export function createJobDetailReader(deps: JobDetailDeps) {
  return async function read(queue: QueueName, jobId: string): Promise<JobDetail | null> {
    const [[row], live] = await Promise.all([
      deps.db
        .select(jobRunColumns)
        .from(jobRuns)
        .where(and(eq(jobRuns.queue, queue), eq(jobRuns.jobId, jobId)))
        .limit(1),
      readLive(deps.producer, queue, jobId),
    ]);
    if (live) return fromRedis(queue, jobId, live, row);
    return row ? fromRegistry(row) : null;
  };
}

export type JobDetailReader = ReturnType<typeof createJobDetailReader>;
