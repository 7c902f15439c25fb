import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import {
  CANCELLED_REASON,
  encodeJobCancelRequest,
  jobCancelChannel,
  QueueName,
} from '@conveyor/queue-contracts';
import { waitUntil } from '@conveyor/test-harness/ports';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../helpers/fixtures.js';
import {
  assetOf,
  createAsset,
  plainConnection,
  startTestWorker,
  type TestWorker,
} from '../helpers/preview-worker.js';

let database: TestDatabase;
let video: string;
let tw: TestWorker;
let redis: Redis;

beforeAll(async () => {
  database = await createTestDatabase();
  redis = new Redis(plainConnection());
  video = await fixture('video-60s-1080p.mp4');
}, 180_000);
afterAll(async () => {
  redis.disconnect();
  await database.drop();
});
afterEach(() => tw.cleanup());

/** The processes whose command line names `dir`: the ffmpeg of a render in it. */
async function processesIn(dir: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'pid,args']);
  return stdout.split('\n').filter((line) => line.includes(dir));
}

/** Adds the preview of the 60 s video and resolves once ffmpeg is rendering it. */
async function renderingJob(): Promise<Job> {
  const asset = await createAsset(tw, { type: 'VIDEO' }, video);
  const progressed = new Set<string>();
  tw.events.on('progress', ({ jobId, data }) => {
    if (typeof data === 'number' && data > 0) progressed.add(jobId);
  });
  const job = await tw.addPreview(asset);
  await waitUntil(() => progressed.has(job.id!), {
    timeoutMs: 20_000,
    what: 'the render to report progress',
  });
  expect(await processesIn(tw.tmpDir)).toHaveLength(1);
  return job;
}

describe('a preview job stopped while ffmpeg renders', () => {
  it('fails Cancelled at once when cancelled, with ffmpeg killed and its files removed', async () => {
    tw = await startTestWorker({ databaseUrl: database.url });
    const job = await renderingJob();

    const cancelledAt = Date.now();
    await redis.publish(
      jobCancelChannel(tw.prefix),
      encodeJobCancelRequest({ queue: QueueName.mediaPreview, jobId: job.id! }),
    );
    await expect(tw.finished(job)).rejects.toThrow(CANCELLED_REASON);
    expect(Date.now() - cancelledAt).toBeLessThan(3_000);

    const failed = (await tw.queue.getJob(job.id!))!;
    expect(await failed.getState()).toBe('failed');
    expect(failed.failedReason).toBe(CANCELLED_REASON);
    // Not retried, although it has four attempts: the user asked it to stop.
    expect(failed.attemptsMade).toBe(1);
    expect(failed.progress).toBeLessThan(100);
    expect(await processesIn(tw.tmpDir)).toEqual([]);
    expect(await readdir(tw.tmpDir)).toEqual([]);
    const asset = await assetOf(tw.db, job.data.assetId as string);
    expect(asset.previewUrl).toBeNull();
    expect(asset.metadata).toMatchObject({
      previewGenerated: false,
      previewError: 'Preview generation was cancelled.',
    });
    expect(await readdir(tw.mediaRoot)).toEqual(['originals']);
  });

  it('kills ffmpeg on shutdown and gives the job back for another attempt', async () => {
    tw = await startTestWorker({ databaseUrl: database.url });
    const job = await renderingJob();

    const closing = Date.now();
    await tw.stopWorker();
    expect(Date.now() - closing).toBeLessThan(3_000);
    expect(await processesIn(tw.tmpDir)).toEqual([]);
    expect(await readdir(tw.tmpDir)).toEqual([]);

    // A failed attempt BullMQ retries after the backoff, on this or another instance.
    const held = (await tw.queue.getJob(job.id!))!;
    expect(await held.getState()).toBe('delayed');
    expect(held.attemptsMade).toBe(1);
    const asset = await assetOf(tw.db, job.data.assetId as string);
    expect(asset.metadata).toMatchObject({ previewGenerated: false });
    expect(asset.metadata).not.toHaveProperty('previewError');
  });
});
