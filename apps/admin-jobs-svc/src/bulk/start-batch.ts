import type { Database } from '@conveyor/db/client';
import { adminBatches, type AdminBatch, type AdminBatchAction } from '@conveyor/db/schema';
import { isQueueName } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import { HttpError, notFound } from '@conveyor/service-kit/errors';
import { and, eq, lt, sql } from 'drizzle-orm';
import { countTargets, type BulkFilter, type BulkParameters } from './bulk-filter.js';

export interface BatchStarterDeps {
  db: Database;
  producer: Producer;
  /** The most jobs one batch may match (`ADMIN_BULK_MAX_JOBS`). */
  maxJobs: number;
}

export interface BatchRequest {
  /** Chosen by the caller, so the audit entry can name the batch whatever happens. */
  batchId: string;
  adminId: string;
  action: AdminBatchAction;
  filter: BulkFilter;
  parameters: BulkParameters;
}

/**
 * Starts a bulk action: checks the filter (an unknown queue is 404 `Queue not found`, more
 * matches than the cap is 400, counted with a LIMIT rather than in full), writes the batch row
 * and enqueues its job under the batch's id, so a repeated enqueue is a no-op. A failed enqueue
 * marks the row failed and is thrown on (the client sees 503 and may try again); a process that
 * dies between the insert and the enqueue leaves the row `queued`, which `requeueStranded` picks
 * up when an instance starts.
 */
export async function startBatch(
  deps: BatchStarterDeps,
  request: BatchRequest,
): Promise<AdminBatch> {
  const { filter, parameters, action } = request;
  if (filter.queue !== undefined && !isQueueName(filter.queue)) throw notFound('Queue');
  const matched = await countTargets(deps.db, action, filter, parameters, deps.maxJobs + 1);
  if (matched > deps.maxJobs) {
    throw new HttpError(
      400,
      `Too many jobs: the filter matches more than ${deps.maxJobs} jobs, the most one bulk ` +
        'action may act on; narrow the filter',
    );
  }
  const [row] = await deps.db
    .insert(adminBatches)
    .values({
      id: request.batchId,
      action,
      adminId: request.adminId,
      filter: { ...filter },
      parameters: { ...parameters },
    })
    .returning();
  if (!row) throw new Error('the batch row was not written');
  try {
    await deps.producer.enqueue('admin.bulk', { batchId: row.id }, { jobId: row.id });
  } catch (error) {
    await deps.db
      .update(adminBatches)
      .set({
        state: 'failed',
        error: 'Could not be queued',
        finishedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(eq(adminBatches.id, row.id));
    throw error;
  }
  return row;
}

/**
 * Enqueues the job of every batch still `queued` a minute after it was written: the process
 * that wrote it died before its enqueue. The job id is the batch id, so a batch whose job is in
 * fact queued is not queued twice.
 */
export async function requeueStranded(deps: Pick<BatchStarterDeps, 'db' | 'producer'>) {
  const stranded = await deps.db
    .select({ id: adminBatches.id })
    .from(adminBatches)
    .where(
      and(
        eq(adminBatches.state, 'queued'),
        lt(adminBatches.createdAt, sql`now() - interval '1 minute'`),
      ),
    );
  for (const { id } of stranded) {
    await deps.producer.enqueue('admin.bulk', { batchId: id }, { jobId: id });
  }
  return stranded.length;
}
