import { assets } from '@conveyor/db/schema';
import { previewJobId } from '@conveyor/queue-contracts';
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requestPreview, sweepPreviews, type PreviewDeps } from '../src/preview-trigger.js';
import { emptyQueue, insertAsset, previewJobs, startContext, type TestContext } from './helpers.js';

let t: TestContext;
let deps: PreviewDeps;

beforeAll(async () => {
  t = await startContext();
  deps = { db: t.handle.db, producer: t.producer };
});
afterEach(async () => {
  await emptyQueue(t);
  await t.handle.db.delete(assets);
});
afterAll(async () => {
  await t.close();
});

const sweep = (limit = 100) => sweepPreviews(deps, { staleAfterSeconds: 600, limit });
const eligible = { scanStatus: 'CLEAN', thumbnailStatus: 'DONE' } as const;

/** An eligible asset whose job was claimed `minutes` ago. */
const claimedAgo = (minutes: number) =>
  insertAsset(t, {
    ...eligible,
    previewRequestedVersion: 1,
    previewRequestedAt: new Date(Date.now() - minutes * 60_000),
  });

describe('the preview sweeper', () => {
  it('enqueues an eligible asset that was never claimed, once', async () => {
    const asset = await insertAsset(t, eligible);
    expect(await sweep()).toBe(1);
    const jobs = await previewJobs(t);
    expect(jobs.map((job): unknown[] => [job.id, job.data])).toStrictEqual([
      [previewJobId(asset.id, 1), { assetId: asset.id, ownerId: 'alice' }],
    ]);
    // Its claim is fresh now: the next sweep and the trigger leave it alone.
    expect(await sweep()).toBe(0);
    expect(await requestPreview(deps, asset.id)).toBe(false);
  });

  it('enqueues again an asset whose claim is stale and whose job is gone', async () => {
    const asset = await claimedAgo(60);
    expect(await sweep()).toBe(1);
    expect((await previewJobs(t)).map((job) => job.id)).toStrictEqual([previewJobId(asset.id, 1)]);
    const [row] = await t.handle.db.select().from(assets).where(eq(assets.id, asset.id));
    expect(row?.previewRequestedAt?.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('leaves alone a stale claim whose job BullMQ still holds', async () => {
    const asset = await claimedAgo(60);
    await t.producer.enqueue(
      'asset.preview',
      { assetId: asset.id, ownerId: 'alice' },
      { jobId: previewJobId(asset.id, 1), delay: 60_000 },
    );
    expect(await sweep()).toBe(0);
    const jobs = await previewJobs(t);
    expect(jobs).toHaveLength(1);
    expect(await jobs[0]?.getState()).toBe('delayed');
  });

  it('leaves alone a fresh claim, whose enqueue may still be on its way', async () => {
    await claimedAgo(1);
    expect(await sweep()).toBe(0);
    expect(await previewJobs(t)).toHaveLength(0);
  });

  it('skips assets with a preview, with a previewError, or that are not eligible', async () => {
    await insertAsset(t, { ...eligible, previewUrl: 'http://media.test/p.mp4' });
    await insertAsset(t, { ...eligible, metadata: { previewError: 'Unsupported source' } });
    await insertAsset(t, { ...eligible, type: 'IMAGE' });
    await insertAsset(t, { ...eligible, type: 'DOCUMENT' });
    await insertAsset(t, { scanStatus: 'INFECTED', thumbnailStatus: 'DONE' });
    await insertAsset(t, { scanStatus: 'CLEAN', thumbnailStatus: 'PENDING' });
    expect(await sweep()).toBe(0);
    expect(await previewJobs(t)).toHaveLength(0);
  });

  it('enqueues the current source version of a replaced original', async () => {
    const asset = await insertAsset(t, { ...eligible, sourceVersion: 3 });
    await t.handle.db
      .update(assets)
      .set({ previewRequestedVersion: 2, previewRequestedAt: sql`now()` })
      .where(eq(assets.id, asset.id));
    expect(await sweep()).toBe(1);
    expect((await previewJobs(t)).map((job) => job.id)).toStrictEqual([previewJobId(asset.id, 3)]);
  });

  it('looks at no more than `limit` assets per sweep', async () => {
    for (let i = 0; i < 3; i += 1) await insertAsset(t, eligible);
    expect(await sweep(2)).toBe(2);
    expect(await sweep(2)).toBe(1);
    expect(await previewJobs(t)).toHaveLength(3);
  });
});
