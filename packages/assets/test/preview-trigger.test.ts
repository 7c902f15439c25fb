import { assets } from '@conveyor/db/schema';
import { generateAssetPreview, previewJobId } from '@conveyor/queue-contracts';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  isPreviewEligible,
  recordScanResult,
  recordThumbnailResult,
  requestPreview,
  type PreviewDeps,
} from '../src/preview-trigger.js';
import { emptyQueue, insertAsset, previewJobs, startContext, type TestContext } from './helpers.js';

let t: TestContext;
let deps: PreviewDeps;

beforeAll(async () => {
  t = await startContext();
  deps = { db: t.handle.db, producer: t.producer };
});
afterEach(async () => {
  await emptyQueue(t);
});
afterAll(async () => {
  await t.close();
});

describe('isPreviewEligible', () => {
  it.each([
    ['VIDEO', 'CLEAN', 'DONE', true],
    ['AUDIO', 'CLEAN', 'DONE', true],
    ['IMAGE', 'CLEAN', 'DONE', false],
    ['DOCUMENT', 'CLEAN', 'DONE', false],
    ['THREE_D', 'CLEAN', 'DONE', false],
    ['VIDEO', 'INFECTED', 'DONE', false],
    ['VIDEO', 'PENDING', 'DONE', false],
    ['VIDEO', 'CLEAN', 'FAILED', false],
    ['AUDIO', 'CLEAN', 'PENDING', false],
  ] as const)('says %s scanned %s with thumbnail %s is eligible: %s', (type, scan, thumb, yes) => {
    expect(isPreviewEligible({ type, scanStatus: scan, thumbnailStatus: thumb })).toBe(yes);
  });
});

describe('the preview trigger', () => {
  it('enqueues once when the thumbnail completes after a clean scan', async () => {
    const asset = await insertAsset(t);
    expect(await recordScanResult(deps, asset.id, 'CLEAN')).toEqual({
      found: true,
      enqueued: false,
    });
    expect(await previewJobs(t)).toHaveLength(0);
    expect(await recordThumbnailResult(deps, asset.id, 'DONE')).toEqual({
      found: true,
      enqueued: true,
    });
    // A repeated event, or a later call, finds the claim taken.
    expect((await recordThumbnailResult(deps, asset.id, 'DONE')).enqueued).toBe(false);
    expect(await requestPreview(deps, asset.id)).toBe(false);

    const jobs = await previewJobs(t);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.id).toBe(`preview-${asset.id}-v1`);
    expect(jobs[0]?.data).toStrictEqual({ assetId: asset.id, ownerId: 'alice' });
    expect(jobs[0]?.opts.attempts).toBe(generateAssetPreview.options.attempts);
  });

  it('enqueues once when the scan comes back clean after the thumbnail', async () => {
    const asset = await insertAsset(t, { type: 'AUDIO', mimeType: 'audio/wav' });
    expect((await recordThumbnailResult(deps, asset.id, 'DONE')).enqueued).toBe(false);
    expect((await recordScanResult(deps, asset.id, 'CLEAN')).enqueued).toBe(true);
    expect((await recordScanResult(deps, asset.id, 'CLEAN')).enqueued).toBe(false);

    const jobs = await previewJobs(t);
    expect(jobs.map((job) => job.id)).toStrictEqual([previewJobId(asset.id, 1)]);
    const [row] = await t.handle.db.select().from(assets).where(eq(assets.id, asset.id));
    expect(row).toMatchObject({ previewRequestedVersion: 1, previewRequestedAt: expect.any(Date) });
  });

  it('enqueues once when ten scan and ten thumbnail events race', async () => {
    const asset = await insertAsset(t);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? Promise.all([
              recordScanResult(deps, asset.id, 'CLEAN'),
              recordThumbnailResult(deps, asset.id, 'DONE'),
            ])
          : Promise.all([
              recordThumbnailResult(deps, asset.id, 'DONE'),
              recordScanResult(deps, asset.id, 'CLEAN'),
            ]),
      ),
    );
    expect(outcomes.flat().filter((outcome) => outcome.enqueued)).toHaveLength(1);
    expect((await previewJobs(t)).map((job) => job.id)).toStrictEqual([previewJobId(asset.id, 1)]);
  });

  it('enqueues once when ten callers request the preview of an eligible asset at once', async () => {
    const asset = await insertAsset(t, { scanStatus: 'CLEAN', thumbnailStatus: 'DONE' });
    const won = await Promise.all(Array.from({ length: 10 }, () => requestPreview(deps, asset.id)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(await previewJobs(t)).toHaveLength(1);
  });

  it.each(['IMAGE', 'DOCUMENT'] as const)('never enqueues a preview of a %s', async (type) => {
    const asset = await insertAsset(t, { type, mimeType: 'application/octet-stream' });
    expect((await recordScanResult(deps, asset.id, 'CLEAN')).enqueued).toBe(false);
    expect((await recordThumbnailResult(deps, asset.id, 'DONE')).enqueued).toBe(false);
    expect(await requestPreview(deps, asset.id)).toBe(false);
    expect(await previewJobs(t)).toHaveLength(0);
  });

  it.each(['INFECTED', 'ERROR', 'PENDING'] as const)(
    'never enqueues a preview of a video whose scan is %s',
    async (status) => {
      const asset = await insertAsset(t);
      await recordThumbnailResult(deps, asset.id, 'DONE');
      expect((await recordScanResult(deps, asset.id, status)).enqueued).toBe(false);
      expect(await previewJobs(t)).toHaveLength(0);
    },
  );

  it('never enqueues a preview of a video whose thumbnail failed', async () => {
    const asset = await insertAsset(t);
    await recordScanResult(deps, asset.id, 'CLEAN');
    expect((await recordThumbnailResult(deps, asset.id, 'FAILED')).enqueued).toBe(false);
    expect(await previewJobs(t)).toHaveLength(0);
  });

  it('does not enqueue for an asset that already has its preview', async () => {
    const asset = await insertAsset(t, {
      scanStatus: 'CLEAN',
      thumbnailStatus: 'DONE',
      previewUrl: 'http://media.test/previews/x.mp4',
    });
    expect(await requestPreview(deps, asset.id)).toBe(false);
    expect(await previewJobs(t)).toHaveLength(0);
  });

  it('enqueues again, under a new id, when the original is replaced', async () => {
    const asset = await insertAsset(t, { scanStatus: 'CLEAN', thumbnailStatus: 'DONE' });
    expect(await requestPreview(deps, asset.id)).toBe(true);
    await t.handle.db
      .update(assets)
      .set({ sourceVersion: 2, scanStatus: 'PENDING', thumbnailStatus: 'PENDING' })
      .where(eq(assets.id, asset.id));
    expect(await requestPreview(deps, asset.id)).toBe(false);
    await recordScanResult(deps, asset.id, 'CLEAN');
    expect((await recordThumbnailResult(deps, asset.id, 'DONE')).enqueued).toBe(true);
    expect(await requestPreview(deps, asset.id)).toBe(false);

    const ids = (await previewJobs(t)).map((job) => job.id).sort();
    expect(ids).toStrictEqual([previewJobId(asset.id, 1), previewJobId(asset.id, 2)].sort());
  });

  it('answers found: false for an asset that does not exist, and enqueues nothing', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    expect(await recordScanResult(deps, missing, 'CLEAN')).toEqual({
      found: false,
      enqueued: false,
    });
    expect(await recordThumbnailResult(deps, missing, 'DONE')).toEqual({
      found: false,
      enqueued: false,
    });
    expect(await requestPreview(deps, missing)).toBe(false);
  });

  it('gives its claim back when Redis refuses the job, so a later event enqueues', async () => {
    const asset = await insertAsset(t, { scanStatus: 'CLEAN', thumbnailStatus: 'DONE' });
    const refusing: PreviewDeps = {
      db: t.handle.db,
      producer: {
        ...t.producer,
        enqueue: () => Promise.reject(new Error('Redis is down')),
      },
    };
    await expect(requestPreview(refusing, asset.id)).rejects.toThrow('Redis is down');
    const [row] = await t.handle.db.select().from(assets).where(eq(assets.id, asset.id));
    expect(row?.previewRequestedVersion).toBeNull();
    expect(await requestPreview(deps, asset.id)).toBe(true);
  });
});

describe('previewJobId', () => {
  it('is deterministic per asset and source version, without a colon', () => {
    const id = previewJobId('0b0e7d1e-8a8a-4f6e-9a55-9d1c1f0f0a01', 3);
    expect(id).toBe('preview-0b0e7d1e-8a8a-4f6e-9a55-9d1c1f0f0a01-v3');
    expect(id).not.toContain(':');
  });
});
