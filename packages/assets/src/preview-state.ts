import type { Database } from '@conveyor/db/client';
import { jsonParam } from '@conveyor/db/json-param';
import { assets, type Asset, type AssetPreviewMetadata } from '@conveyor/db/schema';
import { and, eq, type SQL, sql } from 'drizzle-orm';

/**
 * The preview worker's writes to an asset. Each is one statement that merges its keys into
 * `metadata` (`metadata || patch`), so keys written by anyone else stay. Each resolves whether
 * it wrote: false for an asset that is gone, or whose source changed (see `sourceVersion`).
 */

/** Keeps a write to the source version the job worked on, when the worker names it. */
export interface VersionGuard {
  /**
   * The `sourceVersion` the job read (`loadAsset`): the write is skipped if the original has
   * been replaced since. @defaultValue no check
   */
  sourceVersion?: number;
}

export async function loadAsset(db: Database, assetId: string): Promise<Asset | null> {
  const [row] = await db.select().from(assets).where(eq(assets.id, assetId)).limit(1);
  return row ?? null;
}

const mergedMetadata = (patch: AssetPreviewMetadata, drop?: keyof AssetPreviewMetadata): SQL => {
  const current = sql`coalesce(${assets.metadata}, '{}'::jsonb)`;
  const base = drop === undefined ? current : sql`(${current} - ${drop}::text)`;
  return sql`${base} || ${jsonParam(patch)}`;
};

const target = (assetId: string, guard: VersionGuard): SQL | undefined =>
  guard.sourceVersion === undefined
    ? eq(assets.id, assetId)
    : and(eq(assets.id, assetId), eq(assets.sourceVersion, guard.sourceVersion));

async function write(
  db: Database,
  assetId: string,
  guard: VersionGuard,
  values: Partial<Record<'previewUrl' | 'previewKey', string>> & { metadata: SQL },
): Promise<boolean> {
  const rows = await db
    .update(assets)
    .set({ ...values, updatedAt: sql`now()` })
    .where(target(assetId, guard))
    .returning({ id: assets.id });
  return rows.length > 0;
}

/** The start of an attempt: `previewLastAttempt` is `at`, `previewGenerated` false. */
export async function markPreviewAttempt(
  db: Database,
  assetId: string,
  at: Date,
  guard: VersionGuard = {},
): Promise<boolean> {
  return write(db, assetId, guard, {
    metadata: mergedMetadata({ previewLastAttempt: at.toISOString(), previewGenerated: false }),
  });
}

export interface PreviewSuccess extends VersionGuard {
  previewKey: string;
  previewUrl: string;
  /** Bytes of the preview file. */
  size: number;
  durationSeconds: number;
  at: Date;
}

/** A preview made: its URL and key, the spec's metadata, and any earlier `previewError` removed. */
export async function markPreviewSucceeded(
  db: Database,
  assetId: string,
  success: PreviewSuccess,
): Promise<boolean> {
  return write(db, assetId, success, {
    previewUrl: success.previewUrl,
    previewKey: success.previewKey,
    metadata: mergedMetadata(
      {
        previewGenerated: true,
        previewGeneratedAt: success.at.toISOString(),
        previewSize: success.size,
        previewDuration: success.durationSeconds,
      },
      'previewError',
    ),
  });
}

export interface PreviewFailure extends VersionGuard {
  /** A message for the asset's owner; never a stack trace or a path. */
  error: string;
  at: Date;
}

/**
 * A preview that failed for good: `previewError` set, `previewGenerated` false. The sweeper and
 * the trigger leave such an asset alone until a new source clears it.
 */
export async function markPreviewFailed(
  db: Database,
  assetId: string,
  failure: PreviewFailure,
): Promise<boolean> {
  return write(db, assetId, failure, {
    metadata: mergedMetadata({ previewError: failure.error, previewGenerated: false }),
  });
}
