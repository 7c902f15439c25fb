import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { generateAssetPreview } from '@conveyor/queue-contracts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  assetOf,
  createAsset,
  startTestWorker,
  type TestWorker,
} from '../helpers/preview-worker.js';

let database: TestDatabase;
let tw: TestWorker;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());
beforeEach(async () => {
  tw = await startTestWorker({ databaseUrl: database.url });
});
afterEach(() => tw.cleanup());

/** The job's failure, once BullMQ has failed it for good. */
async function failure(jobId: string) {
  await expect(tw.finished((await tw.queue.getJob(jobId))!)).rejects.toThrow();
  const job = (await tw.queue.getJob(jobId))!;
  return { state: await job.getState(), reason: job.failedReason, attemptsMade: job.attemptsMade };
}

describe('asset.preview without anything to render', () => {
  it('fails an IMAGE asset at once, without retries and without touching the asset', async () => {
    const asset = await createAsset(tw, { type: 'IMAGE' });
    const job = await tw.addPreview(asset);
    expect(await failure(job.id!)).toEqual({
      state: 'failed',
      reason: 'No preview is made for IMAGE assets',
      attemptsMade: 1,
    });
    expect((await assetOf(tw.db, asset.id)).metadata).toBeNull();
  });

  it('fails an unknown asset at once with Asset not found', async () => {
    const job = await tw.addPreview({ id: randomUUID(), sourceVersion: 1 });
    expect(await failure(job.id!)).toEqual({
      state: 'failed',
      reason: 'Asset not found',
      attemptsMade: 1,
    });
  });

  it('answers Asset not found to a job naming another owner', async () => {
    const asset = await createAsset(tw, { type: 'VIDEO' });
    const job = await tw.queue.add(
      generateAssetPreview.name,
      { assetId: asset.id, ownerId: 'someone-else' },
      generateAssetPreview.options,
    );
    expect(await failure(job.id!)).toMatchObject({ reason: 'Asset not found', attemptsMade: 1 });
    expect((await assetOf(tw.db, asset.id)).metadata).toBeNull();
  });

  it('fails at once with a clear previewError when the original is missing', async () => {
    const asset = await createAsset(tw, { type: 'AUDIO' });
    const job = await tw.addPreview(asset);
    expect(await failure(job.id!)).toEqual({
      state: 'failed',
      reason: 'The original file is missing.',
      attemptsMade: 1,
    });
    const { metadata, previewUrl } = await assetOf(tw.db, asset.id);
    expect(previewUrl).toBeNull();
    expect(metadata).toEqual({
      previewGenerated: false,
      previewError: 'The original file is missing.',
      previewLastAttempt: expect.any(String),
    });
  });
});
