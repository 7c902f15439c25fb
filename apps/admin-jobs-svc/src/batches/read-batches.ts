import type { Database } from '@conveyor/db/client';
import { adminBatches, digestDeliveries, digestRuns, type AdminBatch } from '@conveyor/db/schema';
import { count, desc, eq, gt, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import {
  bulkBatchView,
  digestBatchView,
  emptyDigestTally,
  type BatchKind,
  type BatchView,
  type DigestTally,
} from './batch-view.js';

export interface BatchListQuery {
  /** From 1. */
  page: number;
  limit: number;
  /** Only batches of this kind. */
  kind?: BatchKind | undefined;
}

export interface BatchList {
  batches: BatchView[];
  /** Batches of the kind asked for (every kind without one). */
  total: number;
}

const bulkActionOf: Record<Exclude<BatchKind, 'digest'>, AdminBatch['action']> = {
  'bulk-retry': 'retry',
  'bulk-cancel': 'cancel',
};

/**
 * A page of batches of every kind, newest first, with their total. One UNION ALL of the two
 * tables' ids orders the page (each side reads its `created_at` order); the page's rows and
 * its digest runs' delivery counts are then read by id.
 */
export async function listBatches(db: Database, query: BatchListQuery): Promise<BatchList> {
  const { kind } = query;
  const withBulk = kind !== 'digest';
  const withDigests = kind === undefined || kind === 'digest';
  const bulkWhere: SQL =
    kind === undefined || kind === 'digest'
      ? sql`true`
      : sql`${adminBatches.action} = ${bulkActionOf[kind]}`;
  const branches: SQL[] = [];
  if (withBulk) {
    branches.push(
      sql`select ${adminBatches.id} as id, ${adminBatches.createdAt} as created_at, 'bulk' as source from ${adminBatches} where ${bulkWhere}`,
    );
  }
  if (withDigests) {
    branches.push(
      sql`select ${digestRuns.id} as id, ${digestRuns.createdAt} as created_at, 'digest' as source from ${digestRuns}`,
    );
  }
  const [ids, bulkCount, digestCount] = await Promise.all([
    db.execute<{ id: string; source: 'bulk' | 'digest' }>(
      sql`select id, source from (${sql.join(branches, sql` union all `)}) batches order by created_at desc, id desc limit ${query.limit} offset ${(query.page - 1) * query.limit}`,
    ),
    withBulk
      ? db.select({ total: count() }).from(adminBatches).where(bulkWhere)
      : Promise.resolve([{ total: 0 }]),
    withDigests ? db.select({ total: count() }).from(digestRuns) : Promise.resolve([{ total: 0 }]),
  ]);
  const pageIds = [...ids];
  const bulkIds = pageIds.filter((row) => row.source === 'bulk').map((row) => row.id);
  const digestIds = pageIds.filter((row) => row.source === 'digest').map((row) => row.id);
  const [bulkRows, digestViews] = await Promise.all([
    bulkIds.length === 0
      ? Promise.resolve([])
      : db.select().from(adminBatches).where(inArray(adminBatches.id, bulkIds)),
    digestViewsOf(db, digestIds),
  ]);
  const now = new Date();
  const views = new Map<string, BatchView>([
    ...bulkRows.map((row) => [row.id, bulkBatchView(row, now)] as const),
    ...digestViews.map((view) => [view.id, view] as const),
  ]);
  return {
    batches: pageIds.flatMap((row) => views.get(row.id) ?? []),
    total: (bulkCount[0]?.total ?? 0) + (digestCount[0]?.total ?? 0),
  };
}

const isUuid = (id: string) => z.uuid().safeParse(id).success;

/** A batch of either kind by its id; null for an id that is neither (or not a UUID at all). */
export async function findBatch(db: Database, id: string): Promise<BatchView | null> {
  if (!isUuid(id)) return null;
  const [bulk] = await db.select().from(adminBatches).where(eq(adminBatches.id, id));
  if (bulk) return bulkBatchView(bulk);
  const [digest] = await digestViewsOf(db, [id]);
  return digest ?? null;
}

/**
 * What the live `batch` room pushes each second: the bulk batches written after `since`
 * (`admin_batches_updated_idx`), and the digest runs still running (the partial
 * `digest_runs_unfinished_idx`) or finished after `since`. The latter has no index of its own:
 * a couple of runs are planned an hour, so the table stays small (about 17 000 rows a year),
 * and their delivery counts are read by `digest_deliveries_run_chunk_idx`.
 */
export async function batchesChangedSince(db: Database, since: Date): Promise<BatchView[]> {
  const [bulkRows, unfinished, finished] = await Promise.all([
    db
      .select()
      .from(adminBatches)
      .where(gt(adminBatches.updatedAt, since))
      .orderBy(desc(adminBatches.updatedAt)),
    db.select({ id: digestRuns.id }).from(digestRuns).where(isNull(digestRuns.finishedAt)),
    db.select({ id: digestRuns.id }).from(digestRuns).where(gt(digestRuns.finishedAt, since)),
  ]);
  const now = new Date();
  const digests = await digestViewsOf(
    db,
    [...unfinished, ...finished].map((run) => run.id),
  );
  return [...bulkRows.map((row) => bulkBatchView(row, now)), ...digests];
}

/** The views of these digest runs (in no particular order), with their deliveries counted. */
async function digestViewsOf(db: Database, runIds: readonly string[]): Promise<BatchView[]> {
  if (runIds.length === 0) return [];
  const [runs, counted] = await Promise.all([
    db
      .select()
      .from(digestRuns)
      .where(inArray(digestRuns.id, [...runIds])),
    db
      .select({ runId: digestDeliveries.runId, status: digestDeliveries.status, n: count() })
      .from(digestDeliveries)
      .where(inArray(digestDeliveries.runId, [...runIds]))
      .groupBy(digestDeliveries.runId, digestDeliveries.status),
  ]);
  const tallies = new Map<string, DigestTally>();
  for (const { runId, status, n } of counted) {
    const tally = tallies.get(runId) ?? emptyDigestTally();
    tally[status] = n;
    tallies.set(runId, tally);
  }
  const now = new Date();
  return runs.map((run) => digestBatchView(run, tallies.get(run.id) ?? emptyDigestTally(), now));
}
