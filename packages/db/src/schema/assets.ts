import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { timestamps } from './columns.js';
import { users } from './users.js';

/**
 * Assets (spec 002 "File Preview Generation Jobs"): only what preview generation needs. The
 * upload pipeline writes the scan and thumbnail outcomes; `@conveyor/assets` decides from them
 * when the one preview job of a source version is enqueued, and the preview worker records its
 * outcome in `preview_url` and `metadata`.
 */

/** Spec 002 `AssetType`. Never rename a value without a migration. */
export const assetType = pgEnum('asset_type', [
  'IMAGE',
  'VIDEO',
  'AUDIO',
  'DOCUMENT',
  'THREE_D',
  'OTHER',
]);

/** The virus scan of the original; a preview needs `CLEAN`. */
export const assetScanStatus = pgEnum('asset_scan_status', [
  'PENDING',
  'CLEAN',
  'INFECTED',
  'ERROR',
]);

/** The thumbnail step of the upload pipeline; a preview waits for `DONE`. */
export const assetThumbnailStatus = pgEnum('asset_thumbnail_status', ['PENDING', 'DONE', 'FAILED']);

/** Spec 002 `AssetPreviewMetadata`: the preview fields of an asset's `metadata`. */
export interface AssetPreviewMetadata {
  previewGenerated?: boolean;
  /** ISO 8601. */
  previewGeneratedAt?: string;
  /** Why generation failed for good; the sweeper leaves such an asset alone. */
  previewError?: string;
  /** ISO 8601, set at the start of every attempt. */
  previewLastAttempt?: string;
  /** Bytes. */
  previewSize?: number;
  /** Seconds (10 or 30, less for a shorter source). */
  previewDuration?: number;
}

export const assets = pgTable(
  'assets',
  {
    id: uuid().primaryKey().defaultRandom(),
    ownerId: text()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: assetType().notNull(),
    title: text().notNull(),
    /** The original, in media storage. */
    storageKey: text().notNull(),
    mimeType: text().notNull(),
    sizeBytes: bigint({ mode: 'number' }).notNull(),
    scanStatus: assetScanStatus().notNull().default('PENDING'),
    thumbnailStatus: assetThumbnailStatus().notNull().default('PENDING'),
    /** Bumped when the original is replaced; a preview job belongs to one source version. */
    sourceVersion: integer().notNull().default(1),
    /** Spec 002: null until a preview exists. */
    previewUrl: text(),
    /** The preview in media storage. */
    previewKey: text(),
    /**
     * The trigger's claim: the source version whose preview job was enqueued, and when. A
     * claim equal to `source_version` means the job of that version has been asked for.
     */
    previewRequestedVersion: integer(),
    previewRequestedAt: timestamp({ withTimezone: true, mode: 'date' }),
    metadata: jsonb().$type<AssetPreviewMetadata | null>(),
    ...timestamps,
  },
  (table) => [
    index('assets_owner_created_idx').on(table.ownerId, table.createdAt.desc()),
    // The preview sweeper's candidates: eligible assets still without a preview.
    index('assets_preview_pending_idx')
      .on(table.id)
      .where(
        sql`${table.type} in ('VIDEO', 'AUDIO') and ${table.scanStatus} = 'CLEAN' and ${table.thumbnailStatus} = 'DONE' and ${table.previewUrl} is null`,
      ),
  ],
);

export type Asset = typeof assets.$inferSelect;
export type NewAsset = typeof assets.$inferInsert;
