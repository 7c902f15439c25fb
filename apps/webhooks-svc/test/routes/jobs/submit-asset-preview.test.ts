import { assets } from '@conveyor/db/schema';
import { generateAssetPreview, QueueName } from '@conveyor/queue-contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, seedUsers, startApp, type ErrorBody, type TestApp } from '../../helpers/app.js';

let t: TestApp;
let alicesAsset: string;
let bobsAsset: string;

beforeAll(async () => {
  t = await startApp();
  await seedUsers(t.deps, 'alice', 'bob');
  const rows = await t.deps.db.db
    .insert(assets)
    .values(
      ['alice', 'bob'].map((ownerId) => ({
        ownerId,
        type: 'VIDEO' as const,
        title: `${ownerId}'s clip`,
        storageKey: `originals/${ownerId}.mp4`,
        mimeType: 'video/mp4',
        sizeBytes: 1_000,
      })),
    )
    .returning({ id: assets.id, ownerId: assets.ownerId });
  alicesAsset = rows.find((row) => row.ownerId === 'alice')!.id;
  bobsAsset = rows.find((row) => row.ownerId === 'bob')!.id;
});
afterAll(async () => {
  await t.close();
});

const submitPreview = (user: string, data: unknown, headers?: Record<string, string>) =>
  as(t.app, user).post('/api/jobs', { name: 'asset.preview', data }, headers);

const previewJobs = async () =>
  (await t.queue.getJobs()).filter((job) => job.name === 'asset.preview');

describe('POST /api/jobs asset.preview', () => {
  it('is on the media-preview queue, which the test reads', () => {
    expect(generateAssetPreview.queue).toBe(QueueName.mediaPreview);
    expect(t.queue.name).toBe(QueueName.mediaPreview);
  });

  it('queues the preview of the caller’s own asset for the caller and answers 201', async () => {
    const response = await submitPreview('alice', { assetId: alicesAsset });
    expect(response.statusCode).toBe(201);
    const { jobId } = response.json<{ data: { jobId: string } }>().data;
    const job = await t.queue.getJob(jobId);
    expect(job?.name).toBe('asset.preview');
    expect(job?.data).toStrictEqual({
      assetId: alicesAsset,
      ownerId: 'alice',
      requestId: response.headers['x-request-id'],
    });
    expect(job?.opts.attempts).toBe(4);
  });

  it.each([
    ['another user’s asset', () => bobsAsset],
    ['a missing asset', () => '00000000-0000-4000-8000-000000000000'],
  ])('answers 404 Asset not found for %s and queues nothing', async (_what, assetId) => {
    const before = (await previewJobs()).length;
    const response = await submitPreview('alice', { assetId: assetId() });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toStrictEqual({ success: false, error: 'Asset not found' });
    expect(await previewJobs()).toHaveLength(before);
  });

  it('answers 404 for another user’s asset even under an Idempotency-Key', async () => {
    const before = (await previewJobs()).length;
    const response = await submitPreview(
      'alice',
      { assetId: bobsAsset },
      { 'idempotency-key': 'preview-of-bobs' },
    );
    expect(response.statusCode).toBe(404);
    expect(await previewJobs()).toHaveLength(before);
  });

  it.each([
    ['an assetId that is not a UUID', { assetId: 'not-a-uuid' }],
    ['no assetId', {}],
  ])('answers 400 Invalid request body with details for %s', async (_what, data) => {
    const before = (await previewJobs()).length;
    const response = await submitPreview('alice', data);
    expect(response.statusCode).toBe(400);
    const body = response.json<ErrorBody>();
    expect(body).toMatchObject({ success: false, error: 'Invalid request body' });
    expect(body.details).toEqual([{ path: 'data.assetId', message: expect.any(String) }]);
    expect(await previewJobs()).toHaveLength(before);
  });
});
