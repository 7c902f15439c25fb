import type { Database } from '@conveyor/db/client';
import { adminBatches, jobRuns, type AdminBatch, type AdminBatchCursor } from '@conveyor/db/schema';
import type { JobCanceller } from '@conveyor/job-events/cancel';
import { isQueueName, type ResultOf } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import { UnrecoverableError, type Job } from 'bullmq';
import { and, eq, sql } from 'drizzle-orm';
import { cancelOne, retryOne, type ActOutcome } from './act.js';
import {
  afterCursor,
  countTargets,
  createdAtText,
  targetsOf,
  walkOrder,
  type BulkFilter,
  type BulkParameters,
} from './bulk-filter.js';

export interface BatchRunnerDeps {
  db: Database;
  /** Every queue of the platform, under the app's prefix. */
  producer: Producer;
  cancel: JobCanceller;
  /** Registry rows handled between two saves of the row. @defaultValue config 200 */
  pageSize: number;
  /** Counted at most for `total` (the route refused filters matching more). */
  maxJobs: number;
}

/** What the processor needs of its BullMQ job: progress, and whether this is its last attempt. */
export type BatchJob = Pick<Job, 'updateProgress' | 'attemptsMade' | 'opts'>;

type Counts = ResultOf<'admin.bulk'>;

/** Jobs acted on at once within a page: a few round trips in flight, not thousands. */
const IN_FLIGHT = 10;

const countsOf = (row: AdminBatch): Counts => ({
  processed: row.processed,
  succeeded: row.succeeded,
  skipped: row.skipped,
  failed: row.failed,
});

/**
 * The `admin.bulk` processor: walks the registry rows the batch's filter matches, from the
 * row's cursor, a page at a time, acting on each job through BullMQ and saving the counts and
 * the cursor after each page in one statement. A crash (or an error and BullMQ's retry) resumes
 * from the cursor: the page in hand is done again, and its jobs, already retried or cancelled,
 * count as skipped. The abort signal (a cancel of this job) is honoured between pages; the row
 * then ends `failed` with `Cancelled`.
 */
export async function runBatch(
  deps: BatchRunnerDeps,
  batchId: string,
  job: BatchJob,
  signal: AbortSignal,
): Promise<Counts> {
  const { db } = deps;
  const [found] = await db.select().from(adminBatches).where(eq(adminBatches.id, batchId));
  if (!found) throw new UnrecoverableError(`batch ${batchId} not found`);
  if (found.state === 'completed' || found.state === 'failed') return countsOf(found);
  const filter = found.filter as BulkFilter;
  const parameters = found.parameters as BulkParameters;
  const targets = targetsOf(found.action, filter, parameters);

  try {
    // Counted on the first run only: a resumed batch keeps the total it started with.
    const total =
      found.total ?? (await countTargets(db, found.action, filter, parameters, deps.maxJobs));
    let [row] = await db
      .update(adminBatches)
      .set({
        state: 'running',
        total,
        startedAt: sql`coalesce(${adminBatches.startedAt}, now())`,
        updatedAt: sql`now()`,
      })
      .where(eq(adminBatches.id, batchId))
      .returning();
    let cursor: AdminBatchCursor | null = row?.cursor ?? null;

    for (;;) {
      signal.throwIfAborted();
      const page = await db
        .select({
          queue: jobRuns.queue,
          jobId: jobRuns.jobId,
          createdAt: createdAtText,
        })
        .from(jobRuns)
        .where(and(targets, afterCursor(cursor)))
        .orderBy(...walkOrder)
        .limit(deps.pageSize);
      const last = page.at(-1);
      if (!last) break;

      const outcomes = await actOnPage(deps, found.action, parameters, page);
      const tally = { succeeded: 0, skipped: 0, failed: 0 };
      for (const done of outcomes) tally[done.outcome] += 1;
      const lastError = outcomes.findLast((done) => done.outcome === 'failed');
      cursor = { createdAt: last.createdAt, queue: last.queue, jobId: last.jobId };
      [row] = await db
        .update(adminBatches)
        .set({
          processed: sql`${adminBatches.processed} + ${page.length}`,
          succeeded: sql`${adminBatches.succeeded} + ${tally.succeeded}`,
          skipped: sql`${adminBatches.skipped} + ${tally.skipped}`,
          failed: sql`${adminBatches.failed} + ${tally.failed}`,
          cursor,
          ...(lastError?.outcome === 'failed' ? { error: lastError.error } : {}),
          updatedAt: sql`now()`,
        })
        .where(eq(adminBatches.id, batchId))
        .returning();
      await job.updateProgress({ total, completed: row?.processed ?? 0 });
    }

    [row] = await db
      .update(adminBatches)
      .set({ state: 'completed', finishedAt: sql`now()`, updatedAt: sql`now()` })
      .where(eq(adminBatches.id, batchId))
      .returning();
    return row ? countsOf(row) : countsOf(found);
  } catch (error) {
    // Cancelled, or this was the job's last attempt: the row ends failed with the reason. An
    // earlier attempt's error leaves it running, to resume from its cursor on the retry.
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (signal.aborted || lastAttempt) {
      const reason = signal.aborted ? 'Cancelled' : errorText(error);
      await db
        .update(adminBatches)
        .set({ state: 'failed', error: reason, finishedAt: sql`now()`, updatedAt: sql`now()` })
        .where(eq(adminBatches.id, batchId));
    }
    throw error;
  }
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function actOnPage(
  deps: BatchRunnerDeps,
  action: AdminBatch['action'],
  parameters: BulkParameters,
  page: readonly { queue: string; jobId: string }[],
): Promise<ActOutcome[]> {
  const act = async ({ queue, jobId }: { queue: string; jobId: string }): Promise<ActOutcome> => {
    // A registry row of a queue the platform no longer has: nothing BullMQ can act on.
    if (!isQueueName(queue)) return { outcome: 'skipped' };
    const bullQueue = deps.producer.queue(queue);
    return action === 'retry'
      ? retryOne(bullQueue, jobId)
      : cancelOne(deps.cancel, bullQueue, { queue, jobId }, parameters.terminate === true);
  };
  const outcomes: ActOutcome[] = [];
  for (let start = 0; start < page.length; start += IN_FLIGHT) {
    outcomes.push(...(await Promise.all(page.slice(start, start + IN_FLIGHT).map(act))));
  }
  return outcomes;
}
