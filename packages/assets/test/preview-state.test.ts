import { assets } from '@conveyor/db/schema';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadAsset,
  markPreviewAttempt,
  markPreviewFailed,
  markPreviewSucceeded,
} from '../src/preview-state.js';
import { insertAsset, startContext, type TestContext } from './helpers.js';

let t: TestContext;

beforeAll(async () => {
  t = await startContext();
});
afterAll(async () => {
  await t.close();
});

const first = new Date('2026-01-02T03:04:05.000Z');
const second = new Date('2026-01-02T03:09:05.000Z');
const missing = '00000000-0000-4000-8000-000000000000';

/** An asset whose metadata holds a key the preview worker does not own. */
async function assetWithForeignKey() {
  const asset = await insertAsset(t, { scanStatus: 'CLEAN', thumbnailStatus: 'DONE' });
  await t.handle.db
    .update(assets)
    .set({ metadata: sql`'{"uploadedFrom":"web"}'::jsonb` })
    .where(eq(assets.id, asset.id));
  return asset;
}

describe('the preview worker’s writes', () => {
  it('loads an asset, and null for one that does not exist', async () => {
    const asset = await insertAsset(t);
    expect(await loadAsset(t.handle.db, asset.id)).toStrictEqual(asset);
    expect(await loadAsset(t.handle.db, missing)).toBeNull();
  });

  it('records an attempt beside the keys already there', async () => {
    const asset = await assetWithForeignKey();
    expect(await markPreviewAttempt(t.handle.db, asset.id, first)).toBe(true);
    expect((await loadAsset(t.handle.db, asset.id))?.metadata).toStrictEqual({
      uploadedFrom: 'web',
      previewLastAttempt: first.toISOString(),
      previewGenerated: false,
    });
  });

  it('records a failure, keeping the last attempt', async () => {
    const asset = await assetWithForeignKey();
    await markPreviewAttempt(t.handle.db, asset.id, first);
    expect(
      await markPreviewFailed(t.handle.db, asset.id, { error: 'Corrupt source', at: first }),
    ).toBe(true);
    const row = await loadAsset(t.handle.db, asset.id);
    expect(row?.previewUrl).toBeNull();
    expect(row?.metadata).toStrictEqual({
      uploadedFrom: 'web',
      previewLastAttempt: first.toISOString(),
      previewGenerated: false,
      previewError: 'Corrupt source',
    });
  });

  it('records a success and removes an earlier previewError', async () => {
    const asset = await assetWithForeignKey();
    await markPreviewFailed(t.handle.db, asset.id, { error: 'Storage unavailable', at: first });
    await markPreviewAttempt(t.handle.db, asset.id, second);
    const written = await markPreviewSucceeded(t.handle.db, asset.id, {
      previewKey: `previews/${asset.id}.mp4`,
      previewUrl: `http://media.test/previews/${asset.id}.mp4`,
      size: 1_250_000,
      durationSeconds: 10,
      at: second,
    });
    expect(written).toBe(true);
    const row = await loadAsset(t.handle.db, asset.id);
    expect(row).toMatchObject({
      previewKey: `previews/${asset.id}.mp4`,
      previewUrl: `http://media.test/previews/${asset.id}.mp4`,
    });
    expect(row?.metadata).toStrictEqual({
      uploadedFrom: 'web',
      previewLastAttempt: second.toISOString(),
      previewGenerated: true,
      previewGeneratedAt: second.toISOString(),
      previewSize: 1_250_000,
      previewDuration: 10,
    });
    expect(row?.updatedAt.getTime()).toBeGreaterThanOrEqual(asset.updatedAt.getTime());
  });

  it('writes nothing for a source version that has been replaced', async () => {
    const asset = await insertAsset(t, { sourceVersion: 2 });
    const success = {
      previewKey: 'previews/old.mp4',
      previewUrl: 'http://media.test/previews/old.mp4',
      size: 1,
      durationSeconds: 10,
      at: first,
      sourceVersion: 1,
    };
    expect(await markPreviewSucceeded(t.handle.db, asset.id, success)).toBe(false);
    expect(await markPreviewAttempt(t.handle.db, asset.id, first, { sourceVersion: 1 })).toBe(
      false,
    );
    expect(
      await markPreviewFailed(t.handle.db, asset.id, { error: 'x', at: first, sourceVersion: 1 }),
    ).toBe(false);
    const row = await loadAsset(t.handle.db, asset.id);
    expect(row).toMatchObject({ previewUrl: null, metadata: null });
    expect(await markPreviewAttempt(t.handle.db, asset.id, first, { sourceVersion: 2 })).toBe(true);
  });

  it('answers false for an asset that does not exist', async () => {
    expect(await markPreviewAttempt(t.handle.db, missing, first)).toBe(false);
    expect(await markPreviewFailed(t.handle.db, missing, { error: 'x', at: first })).toBe(false);
  });
});
