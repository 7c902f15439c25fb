import { adminBatchStates, type AdminBatch, type DigestRun } from '@conveyor/db/schema';
import { z } from 'zod';

/** What a batch is: a bulk action of an admin, or a digest run. */
export const batchKinds = ['bulk-retry', 'bulk-cancel', 'digest'] as const;
export type BatchKind = (typeof batchKinds)[number];

const iso = z.iso.datetime().describe('ISO 8601');
const count = z.number().int().min(0);

/**
 * A tracked batch as REST (`/api/admin/jobs/batches`) and the live `batch` room
 * (`batch_progress`) show it: a bulk retry or cancel (`admin_batches`), or a digest run
 * (`digest_runs` and its deliveries).
 */
export const BatchViewSchema = z.object({
  id: z.uuid(),
  kind: z.enum(batchKinds),
  state: z.enum(adminBatchStates).describe('A digest run is `running` until it has finished'),
  total: count
    .nullable()
    .describe('Jobs (or digests) the batch covers; null until a bulk action has counted them'),
  completed: count.describe('Dealt with so far: succeeded + skipped + failed'),
  percent: z.number().min(0).max(100).describe('completed / total, 0 to 100, one decimal'),
  estimatedSecondsRemaining: z
    .number()
    .min(0)
    .nullable()
    .describe('At the pace so far; null before the first progress and once finished'),
  startedAt: iso.nullable(),
  finishedAt: iso.nullable(),
  createdAt: iso,
  counts: z.object({
    succeeded: count.describe('Retried or cancelled; digests sent'),
    skipped: count.describe('No longer in a state the action applies to; digests skipped'),
    failed: count.describe('The action failed for the job; digests that failed for good'),
  }),
  adminId: z.string().optional().describe('Bulk actions: the admin who started it'),
  filter: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Bulk actions: the job search filter (and `terminate` for a cancel)'),
  error: z.string().nullable().optional().describe('Bulk actions: the last error, if any'),
  frequency: z.enum(['DAILY', 'WEEKLY']).optional().describe('Digest runs'),
  scheduledFor: iso.optional().describe('Digest runs: the hour of the tick that planned it'),
});

export type BatchView = z.infer<typeof BatchViewSchema>;

/** completed / total in percent with one decimal; an empty batch is 0 until it completes. */
export function percentOf(completed: number, total: number | null, finished: boolean): number {
  if (finished) return 100;
  if (total === null || total === 0) return 0;
  return Math.min(100, Math.round((completed / total) * 1_000) / 10);
}

/**
 * The seconds left at the pace since the start (elapsed / completed × remaining), rounded up;
 * null before the first progress, without a total, and once the batch has ended.
 */
export function etaOf(
  progress: { completed: number; total: number | null; startedAt: Date | null },
  finished: boolean,
  now: Date,
): number | null {
  const { completed, total, startedAt } = progress;
  if (finished || total === null || startedAt === null || completed <= 0) return null;
  const elapsedSeconds = Math.max(0, now.getTime() - startedAt.getTime()) / 1_000;
  return Math.ceil((elapsedSeconds / completed) * Math.max(0, total - completed));
}

const isoOrNull = (date: Date | null) => (date === null ? null : date.toISOString());

/**
 * A bulk action's view. A completed batch shows 100 % even when it dealt with fewer jobs than
 * it counted at the start: rows that left the filter meanwhile (retried by someone else) are
 * not visited.
 */
export function bulkBatchView(row: AdminBatch, now: Date = new Date()): BatchView {
  const finished = row.state === 'completed' || row.state === 'failed';
  return {
    id: row.id,
    kind: row.action === 'retry' ? 'bulk-retry' : 'bulk-cancel',
    state: row.state,
    total: row.total,
    completed: row.processed,
    percent: percentOf(row.processed, row.total, row.state === 'completed'),
    estimatedSecondsRemaining: etaOf(
      { completed: row.processed, total: row.total, startedAt: row.startedAt },
      finished,
      now,
    ),
    startedAt: isoOrNull(row.startedAt),
    finishedAt: isoOrNull(row.finishedAt),
    createdAt: row.createdAt.toISOString(),
    counts: { succeeded: row.succeeded, skipped: row.skipped, failed: row.failed },
    adminId: row.adminId,
    filter: { ...row.filter, ...row.parameters },
    error: row.error,
  };
}

/** A digest run's deliveries by status (`digest_status`). */
export interface DigestTally {
  pending: number;
  sending: number;
  sent: number;
  skipped: number;
  failed: number;
}

export const emptyDigestTally = (): DigestTally => ({
  pending: 0,
  sending: 0,
  sent: 0,
  skipped: 0,
  failed: 0,
});

/**
 * A digest run's view: its total is the digests it planned, completed the deliveries settled
 * (sent, skipped or failed); it runs from its creation until its last digest settled.
 */
export function digestBatchView(
  run: DigestRun,
  tally: DigestTally,
  now: Date = new Date(),
): BatchView {
  const finished = run.finishedAt !== null;
  const completed = tally.sent + tally.skipped + tally.failed;
  return {
    id: run.id,
    kind: 'digest',
    state: finished ? 'completed' : 'running',
    total: run.digestsPlanned,
    completed,
    percent: percentOf(completed, run.digestsPlanned, finished),
    estimatedSecondsRemaining: etaOf(
      { completed, total: run.digestsPlanned, startedAt: run.createdAt },
      finished,
      now,
    ),
    startedAt: run.createdAt.toISOString(),
    finishedAt: isoOrNull(run.finishedAt),
    createdAt: run.createdAt.toISOString(),
    counts: { succeeded: tally.sent, skipped: tally.skipped, failed: tally.failed },
    // The run's check constraint allows only these two.
    frequency: run.frequency === 'WEEKLY' ? 'WEEKLY' : 'DAILY',
    scheduledFor: run.scheduledFor.toISOString(),
  };
}
