import type { Database } from '@conveyor/db/client';
import { assets, type Asset } from '@conveyor/db/schema';
import { previewJobId, QueueName } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import { and, asc, eq, isNull, sql, type SQL } from 'drizzle-orm';

/**
 * The automatic preview trigger (spec 002): a VIDEO or AUDIO asset whose scan is CLEAN and
 * whose thumbnail is done gets one `asset.preview` job per source version, whichever of the two
 * events comes last, and however many callers race. The claim is one conditional UPDATE, so
 * exactly one caller wins it; the job id is deterministic, so a repeated add is a no-op.
 */

export interface PreviewDeps {
  db: Database;
  producer: Producer;
}

/** What the upload pipeline learns from recording an outcome. */
export interface RecordResult {
  /** Whether this call enqueued the asset's preview job. */
  enqueued: boolean;
  /** Whether the asset exists; a result for a deleted asset is dropped, not an error. */
  found: boolean;
}

export type ScanStatus = Asset['scanStatus'];
export type ThumbnailOutcome = 'DONE' | 'FAILED';

/** Whether an asset is one previews are made for: VIDEO or AUDIO, scanned CLEAN, thumbnail DONE. */
export function isPreviewEligible(
  asset: Pick<Asset, 'type' | 'scanStatus' | 'thumbnailStatus'>,
): boolean {
  return (
    (asset.type === 'VIDEO' || asset.type === 'AUDIO') &&
    asset.scanStatus === 'CLEAN' &&
    asset.thumbnailStatus === 'DONE'
  );
}

/** `isPreviewEligible` in SQL; the sweeper's partial index has the same predicate. */
const eligibleSql: SQL = sql`${assets.type} in ('VIDEO', 'AUDIO') and ${assets.scanStatus} = 'CLEAN' and ${assets.thumbnailStatus} = 'DONE'`;

/** The claim is missing: no job was asked for the current source version. */
const unclaimedSql: SQL = sql`${assets.previewRequestedVersion} is distinct from ${assets.sourceVersion}`;

/** A preview failed for good; neither the trigger's callers nor the sweeper retry it. */
const withoutErrorSql: SQL = sql`not (coalesce(${assets.metadata}, '{}'::jsonb) ? 'previewError')`;

interface Claim {
  id: string;
  ownerId: string;
  sourceVersion: number;
}

const claimColumns = {
  id: assets.id,
  ownerId: assets.ownerId,
  sourceVersion: assets.sourceVersion,
};

async function enqueueClaimed(deps: PreviewDeps, claim: Claim): Promise<void> {
  await deps.producer.enqueue(
    'asset.preview',
    { assetId: claim.id, ownerId: claim.ownerId },
    { jobId: previewJobId(claim.id, claim.sourceVersion) },
  );
}

/**
 * Gives a claim back when its enqueue failed, so the next event of the asset tries again rather
 * than waiting for the sweeper. If the add did reach Redis after all, the next add under the same
 * id is a no-op.
 */
async function releaseClaim(deps: PreviewDeps, claim: Claim): Promise<void> {
  await deps.db
    .update(assets)
    .set({ previewRequestedVersion: null, previewRequestedAt: null })
    .where(and(eq(assets.id, claim.id), eq(assets.previewRequestedVersion, claim.sourceVersion)));
}

async function enqueueOrRelease(deps: PreviewDeps, claim: Claim): Promise<void> {
  try {
    await enqueueClaimed(deps, claim);
  } catch (err) {
    // Best effort: the sweeper re-enqueues a stale claim anyway.
    await releaseClaim(deps, claim).catch(() => undefined);
    throw err;
  }
}

/**
 * Enqueues the asset's preview job if it is eligible, has no preview, and no job was asked for
 * its current source version; claims that version first, in one statement, so concurrent callers
 * enqueue once. Resolves whether this call enqueued. Throws when Redis refuses the job (the claim
 * is then released, and the sweeper is the backstop if even that fails).
 */
export async function requestPreview(deps: PreviewDeps, assetId: string): Promise<boolean> {
  const [claim] = await deps.db
    .update(assets)
    .set({
      previewRequestedVersion: sql`${assets.sourceVersion}`,
      previewRequestedAt: sql`now()`,
    })
    .where(and(eq(assets.id, assetId), eligibleSql, isNull(assets.previewUrl), unclaimedSql))
    .returning(claimColumns);
  if (!claim) return false;
  await enqueueOrRelease(deps, claim);
  return true;
}

/**
 * Records the virus scan's outcome, then runs the trigger: call it when the scan finishes
 * (CLEAN, INFECTED or ERROR), or with PENDING when a rescan starts. An unknown asset (deleted
 * while it was scanned) answers `{ found: false, enqueued: false }` instead of throwing.
 */
export async function recordScanResult(
  deps: PreviewDeps,
  assetId: string,
  status: ScanStatus,
): Promise<RecordResult> {
  const rows = await deps.db
    .update(assets)
    .set({ scanStatus: status, updatedAt: sql`now()` })
    .where(eq(assets.id, assetId))
    .returning({ id: assets.id });
  if (rows.length === 0) return { found: false, enqueued: false };
  return { found: true, enqueued: await requestPreview(deps, assetId) };
}

/**
 * Records the thumbnail step's outcome, then runs the trigger. An unknown asset answers
 * `{ found: false, enqueued: false }` instead of throwing, as `recordScanResult` does.
 */
export async function recordThumbnailResult(
  deps: PreviewDeps,
  assetId: string,
  status: ThumbnailOutcome,
): Promise<RecordResult> {
  const rows = await deps.db
    .update(assets)
    .set({ thumbnailStatus: status, updatedAt: sql`now()` })
    .where(eq(assets.id, assetId))
    .returning({ id: assets.id });
  if (rows.length === 0) return { found: false, enqueued: false };
  return { found: true, enqueued: await requestPreview(deps, assetId) };
}

export interface SweepOptions {
  /**
   * Seconds after which a claim whose job BullMQ no longer holds is asked for again: longer than
   * a claim may take to reach Redis.
   */
  staleAfterSeconds: number;
  /** Most assets looked at in one sweep. */
  limit: number;
}

/**
 * The backstop of the trigger (the `asset.preview-sweep` job): eligible assets without a preview
 * and without a `previewError`, whose claim is missing or older than `staleAfterSeconds` while
 * BullMQ no longer holds the job, are claimed again and (re)enqueued under their deterministic
 * id. A stale claim whose job is still held is refreshed, so a long backlog does not take every
 * sweep's `limit`. Resolves how many jobs it enqueued.
 */
export async function sweepPreviews(deps: PreviewDeps, options: SweepOptions): Promise<number> {
  const stale = sql`now() - make_interval(secs => ${options.staleAfterSeconds})`;
  const due = (): SQL =>
    and(
      eligibleSql,
      isNull(assets.previewUrl),
      withoutErrorSql,
      sql`(${unclaimedSql} or ${assets.previewRequestedAt} is null or ${assets.previewRequestedAt} < ${stale})`,
    ) as SQL;
  const candidates = await deps.db
    .select(claimColumns)
    .from(assets)
    .where(due())
    .orderBy(sql`${assets.previewRequestedAt} asc nulls first`, asc(assets.id))
    .limit(options.limit);

  const queue = deps.producer.queue(QueueName.mediaPreview);
  let enqueued = 0;
  for (const candidate of candidates) {
    const held = await queue.getJob(previewJobId(candidate.id, candidate.sourceVersion));
    // Claim again only if nothing changed since the select: the same version, still due. A
    // trigger or another sweeper that claimed meanwhile makes this a no-op.
    const [claim] = await deps.db
      .update(assets)
      .set({
        previewRequestedVersion: sql`${assets.sourceVersion}`,
        previewRequestedAt: sql`now()`,
      })
      .where(
        and(eq(assets.id, candidate.id), eq(assets.sourceVersion, candidate.sourceVersion), due()),
      )
      .returning(claimColumns);
    if (!claim || held) continue;
    await enqueueOrRelease(deps, claim);
    enqueued += 1;
  }
  return enqueued;
}
