import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildVideoCommandLine,
  renderAudioPreview,
  renderVideoPreview,
  VIDEO_PREVIEW,
} from '../src/clips.js';
import { MediaTimeoutError, UnsupportedMediaError } from '../src/errors.js';
import { probeMedia, type MediaProbe } from '../src/probe.js';
import { withTempDir } from '../src/temp.js';
import {
  ffprobeJson,
  generateAudio,
  generateVideo,
  grayFrame,
  topLevelBoxes,
  writeCorruptFile,
} from '../src/testing.js';
import { binaries } from './helpers.js';

const { ffmpegPath, ffprobePath } = binaries;
let dir: string;
const sources: Record<'long' | 'portrait' | 'silent' | 'wav' | 'corrupt', string> = {
  long: '',
  portrait: '',
  silent: '',
  wav: '',
  corrupt: '',
};
const probes = {} as Record<'long' | 'portrait' | 'silent' | 'wav', MediaProbe>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'media-clips-'));
  for (const name of Object.keys(sources) as (keyof typeof sources)[]) {
    sources[name] = join(dir, `${name}.${name === 'wav' ? 'wav' : 'mp4'}`);
  }
  // The 60 s 1080p source at 3 fps: what makes it slow to generate is the frame count, and a
  // preview of it still needs its full bitrate (the frames are noise).
  await Promise.all([
    generateVideo(sources.long, {
      ffmpegPath, seconds: 60, width: 1920, height: 1080, audio: true, frameRate: 3,
    }),
    (async () => {
      await generateVideo(sources.portrait, { ffmpegPath, seconds: 4, width: 720, height: 1280, audio: true });
      await generateVideo(sources.silent, { ffmpegPath, seconds: 4, width: 640, height: 360, audio: false });
      await generateAudio(sources.wav, { ffmpegPath, seconds: 90, channels: 2, format: 'wav' });
      await writeCorruptFile(sources.corrupt);
    })(),
  ]); // prettier-ignore
  for (const name of ['long', 'portrait', 'silent', 'wav'] as const) {
    probes[name] = await probeMedia(sources[name], { ffprobePath });
  }
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const streamOf = (json: Awaited<ReturnType<typeof ffprobeJson>>, type: 'video' | 'audio') =>
  json.streams.find((s) => s.codec_type === type);

describe('renderVideoPreview', () => {
  it('turns a 60 s 1080p video into a 10 s 1280x720 H.264 MP4 near 1000k with AAC and fast start', async () => {
    const output = join(dir, 'long-preview.mp4');
    const progress: number[] = [];
    const result = await renderVideoPreview({
      input: sources.long, output, probe: probes.long, ffmpegPath, timeoutMs: 60_000,
      onProgress: (percent) => progress.push(percent),
    }); // prettier-ignore
    expect(result.durationSeconds).toBe(10);

    const json = await ffprobeJson(output, ffprobePath);
    expect(Number(json.format.duration)).toBeCloseTo(10, 1);
    const video = streamOf(json, 'video')!;
    expect(video).toMatchObject({
      codec_name: 'h264',
      width: 1280,
      height: 720,
      pix_fmt: 'yuv420p',
    });
    // VBV caps the rate at 1000k over a 2 s buffer; the container's 10 s average lands within ±30 %.
    expect(Number(video.bit_rate)).toBeGreaterThan(700_000);
    expect(Number(video.bit_rate)).toBeLessThan(1_300_000);
    expect(streamOf(json, 'audio')).toMatchObject({ codec_name: 'aac' });

    const boxes = await topLevelBoxes(output);
    expect(boxes.get('moov')).toBeDefined();
    expect(boxes.get('mdat')).toBeDefined();
    expect(boxes.get('moov')!).toBeLessThan(boxes.get('mdat')!);

    // Progress: rising, within 0..100, ending at exactly one 100.
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(100);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
    expect(progress.every((p) => p >= 0 && p <= 100)).toBe(true);
  }, 60_000);

  it('pads a portrait video with black bars instead of stretching it, and keeps a 4 s source whole', async () => {
    const output = join(dir, 'portrait-preview.mp4');
    const result = await renderVideoPreview({
      input: sources.portrait, output, probe: probes.portrait, ffmpegPath, timeoutMs: 60_000,
    }); // prettier-ignore
    expect(result.durationSeconds).toBeCloseTo(4, 1);
    const json = await ffprobeJson(output, ffprobePath);
    expect(Number(json.format.duration)).toBeGreaterThan(3.9);
    expect(Number(json.format.duration)).toBeLessThan(4.1);
    const video = streamOf(json, 'video')!;
    expect(video).toMatchObject({ width: 1280, height: 720 });
    expect(['1:1', '0:1', undefined]).toContain(video.sample_aspect_ratio);

    const { width, height } = VIDEO_PREVIEW;
    const frame = await grayFrame(output, { ffmpegPath, atSeconds: 1 });
    expect(frame.length).toBe(width * height);
    const column = (x: number) => Array.from({ length: height }, (_, y) => frame[y * width + x]!);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    // 720x1280 fits as 405x720: bars of about 437 px on each side, the picture in the middle.
    for (const x of [0, 100, 400, 880, 1180, 1279]) expect(mean(column(x))).toBeLessThan(20);
    expect(Math.max(...column(640))).toBeGreaterThan(100);
  }, 30_000);

  it('gives an output without an audio stream for a source without audio', async () => {
    const output = join(dir, 'silent-preview.mp4');
    expect(probes.silent.audio).toBeUndefined();
    await renderVideoPreview({
      input: sources.silent, output, probe: probes.silent, ffmpegPath, timeoutMs: 60_000,
    }); // prettier-ignore
    const json = await ffprobeJson(output, ffprobePath);
    expect(streamOf(json, 'audio')).toBeUndefined();
    expect(streamOf(json, 'video')).toMatchObject({ codec_name: 'h264', width: 1280, height: 720 });
    expect(Number(json.format.duration)).toBeCloseTo(4, 1);
  }, 30_000);

  it('kills ffmpeg within a second of an abort, removes the partial output and the temp dir', async () => {
    const controller = new AbortController();
    let tempDir = '';
    let output = '';
    let abortedAt = 0;
    const rendering = withTempDir('media-abort-', async (temp) => {
      tempDir = temp;
      output = join(temp, 'preview.mp4');
      return renderVideoPreview({
        input: sources.long, output, probe: probes.long, ffmpegPath, timeoutMs: 60_000,
        signal: controller.signal,
        onProgress: () => {
          if (abortedAt === 0) {
            abortedAt = performance.now();
            controller.abort();
          }
        },
      }); // prettier-ignore
    });
    await expect(rendering).rejects.toMatchObject({ name: 'AbortError' });
    expect(abortedAt).toBeGreaterThan(0);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    expect(existsSync(output)).toBe(false);
    expect(existsSync(tempDir)).toBe(false);
    const { stdout } = await promisify(execFile)('ps', ['-eo', 'args']);
    expect(stdout).not.toContain(output);
  }, 30_000);

  it('rejects at once when the signal has already aborted', async () => {
    await expect(
      renderVideoPreview({
        input: sources.long, output: join(dir, 'never.mp4'), probe: probes.long, ffmpegPath,
        timeoutMs: 60_000, signal: AbortSignal.abort(),
      }), // prettier-ignore
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(existsSync(join(dir, 'never.mp4'))).toBe(false);
  });

  it('kills ffmpeg and rejects with MediaTimeoutError past its time limit', async () => {
    const output = join(dir, 'timeout.mp4');
    const started = performance.now();
    await expect(
      renderVideoPreview({
        input: sources.long, output, probe: probes.long, ffmpegPath, timeoutMs: 300,
      }), // prettier-ignore
    ).rejects.toBeInstanceOf(MediaTimeoutError);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(existsSync(output)).toBe(false);
  }, 30_000);

  it('rejects a corrupt source with UnsupportedMediaError and leaves no output', async () => {
    const output = join(dir, 'corrupt-preview.mp4');
    const probe: MediaProbe = {
      durationSeconds: 60, formatName: 'mov,mp4', video: { codec: 'h264', width: 1920, height: 1080, rotation: 0 },
    }; // prettier-ignore
    const failure = renderVideoPreview({
      input: sources.corrupt,
      output,
      probe,
      ffmpegPath,
      timeoutMs: 30_000,
    });
    await expect(failure).rejects.toBeInstanceOf(UnsupportedMediaError);
    await expect(failure).rejects.not.toThrow(dir);
    expect(existsSync(output)).toBe(false);
  });

  it('builds the command line it runs, for a benchmark to run the same ffmpeg directly', () => {
    const args = buildVideoCommandLine({ input: 'in.mp4', output: 'out.mp4', probe: probes.long });
    expect(args.slice(0, 5)).toEqual(['-ss', '12.000', '-i', 'in.mp4', '-y']);
    expect(args).toContain('+faststart');
    expect(args.at(-1)).toBe('out.mp4');
  });
});

describe('renderAudioPreview', () => {
  it('turns a 90 s stereo WAV into a 30 s MP3 at 128k', async () => {
    const output = join(dir, 'wav-preview.mp3');
    const progress: number[] = [];
    const result = await renderAudioPreview({
      input: sources.wav, output, probe: probes.wav, ffmpegPath, timeoutMs: 60_000,
      onProgress: (p) => progress.push(p),
    }); // prettier-ignore
    expect(result.durationSeconds).toBe(30);
    const json = await ffprobeJson(output, ffprobePath);
    expect(json.format.format_name).toBe('mp3');
    expect(Number(json.format.duration)).toBeGreaterThan(29.9);
    expect(Number(json.format.duration)).toBeLessThan(30.1);
    expect(streamOf(json, 'audio')).toMatchObject({
      codec_name: 'mp3',
      bit_rate: '128000',
      channels: 2,
    });
    expect(progress.at(-1)).toBe(100);
  }, 30_000);

  it('rejects a source without audio as unsupported', async () => {
    await expect(
      renderAudioPreview({
        input: sources.silent, output: join(dir, 'x.mp3'), probe: probes.silent, ffmpegPath, timeoutMs: 10_000,
      }), // prettier-ignore
    ).rejects.toBeInstanceOf(UnsupportedMediaError);
  });
});
