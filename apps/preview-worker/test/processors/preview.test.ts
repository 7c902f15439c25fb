import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { ffprobeJson } from '@conveyor/media/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, fixture } from '../helpers/fixtures.js';
import {
  assetOf,
  createAsset,
  startTestWorker,
  type TestWorker,
  type TestWorkerOptions,
} from '../helpers/preview-worker.js';

const { ffprobePath } = ffmpeg;
const fixtures = { video60: '', wav90: '', corrupt: '' };

let database: TestDatabase;
let tw: TestWorker | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  [fixtures.video60, fixtures.wav90, fixtures.corrupt] = await Promise.all([
    fixture('video-60s-1080p.mp4'),
    fixture('audio-90s.wav'),
    fixture('corrupt.mp4'),
  ]);
}, 180_000);
afterAll(() => database.drop());
afterEach(async () => {
  await tw?.cleanup();
  tw = undefined;
});

const start = async (options: Omit<TestWorkerOptions, 'databaseUrl'> = {}) =>
  (tw = await startTestWorker({ databaseUrl: database.url, ...options }));

const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

describe('asset.preview', () => {
  it('makes a 10 s 1280x720 H.264 MP4 of a 60 s 1080p video and records it on the asset', async () => {
    const tw = await start();
    const asset = await createAsset(tw, { type: 'VIDEO', mimeType: 'video/mp4' }, fixtures.video60);
    const job = await tw.addPreview(asset);
    const result = (await tw.finished(job, 60_000)) as Record<string, unknown>;

    const previewKey = `previews/${asset.id}/v1.mp4`;
    const file = join(tw.mediaRoot, previewKey);
    const { size } = await stat(file);
    expect(result).toEqual({
      previewUrl: `http://media.test/media/${previewKey}`,
      previewSize: size,
      previewDuration: 10,
    });
    const row = await assetOf(tw.db, asset.id);
    expect(row.previewUrl).toBe(`http://media.test/media/${previewKey}`);
    expect(row.previewKey).toBe(previewKey);
    expect(row.metadata).toStrictEqual({
      previewGenerated: true,
      previewGeneratedAt: iso,
      previewLastAttempt: iso,
      previewSize: size,
      previewDuration: 10,
    });
    expect(Date.parse(row.metadata!.previewGeneratedAt!)).toBeGreaterThanOrEqual(
      Date.parse(row.metadata!.previewLastAttempt!),
    );

    const probe = await ffprobeJson(file, ffprobePath);
    expect(Number(probe.format.duration)).toBeCloseTo(10, 1);
    const video = probe.streams.find((stream) => stream.codec_type === 'video');
    expect(video).toMatchObject({ codec_name: 'h264', width: 1280, height: 720 });
    expect(probe.streams.some((stream) => stream.codec_type === 'audio')).toBe(true);
  });

  it('makes a 30 s 128k MP3 of a 90 s WAV', async () => {
    const tw = await start();
    const asset = await createAsset(tw, { type: 'AUDIO', mimeType: 'audio/wav' }, fixtures.wav90);
    const job = await tw.addPreview(asset);
    expect(await tw.finished(job)).toMatchObject({ previewDuration: 30 });

    const file = join(tw.mediaRoot, `previews/${asset.id}/v1.mp3`);
    const probe = await ffprobeJson(file, ffprobePath);
    expect(probe.format.format_name).toBe('mp3');
    expect(Number(probe.format.duration)).toBeCloseTo(30, 0);
    expect(probe.streams).toMatchObject([{ codec_type: 'audio', codec_name: 'mp3' }]);
    expect(Number(probe.streams[0]!.bit_rate)).toBe(128_000);
    expect((await assetOf(tw.db, asset.id)).metadata).toMatchObject({
      previewGenerated: true,
      previewSize: (await stat(file)).size,
      previewDuration: 30,
    });
  });

  it('reports progress that rises to 100', async () => {
    const tw = await start();
    const asset = await createAsset(tw, { type: 'AUDIO' }, fixtures.wav90);
    const seen: number[] = [];
    tw.events.on('progress', ({ data }) => seen.push(data as number));
    const job = await tw.addPreview(asset);
    await tw.finished(job);

    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toBe(100);
    for (const [index, value] of seen.entries()) {
      expect(Number.isInteger(value)).toBe(true);
      if (index > 0) expect(value).toBeGreaterThan(seen[index - 1]!);
    }
    expect((await tw.queue.getJob(job.id!))!.progress).toBe(100);
  });

  it('fails a corrupt source once, without retries, with a clear previewError', async () => {
    const tw = await start();
    const asset = await createAsset(tw, { type: 'VIDEO' }, fixtures.corrupt);
    const job = await tw.addPreview(asset);
    await expect(tw.finished(job)).rejects.toThrow();

    const failed = (await tw.queue.getJob(job.id!))!;
    expect(await failed.getState()).toBe('failed');
    expect(failed.opts.attempts).toBe(4);
    expect(failed.attemptsMade).toBe(1);
    const row = await assetOf(tw.db, asset.id);
    expect(row.previewUrl).toBeNull();
    expect(row.metadata).toStrictEqual({
      previewGenerated: false,
      previewLastAttempt: iso,
      previewError: expect.stringMatching(/^The file .+\.$/),
    });
    expect(failed.failedReason).toBe(row.metadata!.previewError);
  });

  it('retries a transient storage failure with backoff, then succeeds', async () => {
    let writes = 0;
    const tw = await start({
      storage: (storage) => ({
        ...storage,
        write: async (key, from, type) => {
          writes += 1;
          if (writes === 1) throw new Error('EIO: the media volume hiccupped');
          return storage.write(key, from, type);
        },
      }),
    });
    const asset = await createAsset(tw, { type: 'AUDIO' }, fixtures.wav90);
    const job = await tw.addPreview(asset, { backoff: { type: 'exponential', delay: 200 } });
    expect(await tw.finished(job)).toMatchObject({ previewDuration: 30 });

    expect(writes).toBe(2);
    const done = (await tw.queue.getJob(job.id!))!;
    expect(await done.getState()).toBe('completed');
    expect(done.attemptsMade).toBe(2);
    const { metadata } = await assetOf(tw.db, asset.id);
    expect(metadata).toMatchObject({ previewGenerated: true });
    expect(metadata).not.toHaveProperty('previewError');
  });

  it('records a previewError only when the last attempt of a transient failure fails', async () => {
    const tw = await start({
      storage: (storage) => ({
        ...storage,
        write: () => Promise.reject(new Error('EIO: /srv/media is gone')),
      }),
    });
    const asset = await createAsset(tw, { type: 'AUDIO' }, fixtures.wav90);
    const job = await tw.addPreview(asset, {
      attempts: 2,
      backoff: { type: 'exponential', delay: 100 },
    });
    await expect(tw.finished(job)).rejects.toThrow('EIO');

    const failed = (await tw.queue.getJob(job.id!))!;
    expect(failed.attemptsMade).toBe(2);
    expect((await assetOf(tw.db, asset.id)).metadata).toStrictEqual({
      previewGenerated: false,
      previewLastAttempt: iso,
      // For the owner: no server path, no stack.
      previewError: 'Preview generation failed after 2 attempts; please try again later.',
    });
  });
});
