import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpegPaths } from '../src/binaries.js';
import { UnsupportedMediaError } from '../src/errors.js';
import { probeMedia } from '../src/probe.js';
import { generateAudio, generateVideo, writeCorruptFile } from '../src/testing.js';
import { binaries } from './helpers.js';

const { ffmpegPath, ffprobePath } = binaries;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'media-probe-'));
  await generateVideo(join(dir, 'clip.mp4'), {
    ffmpegPath,
    seconds: 2,
    width: 320,
    height: 240,
    audio: true,
  });
  await generateAudio(join(dir, 'tone.mp3'), {
    ffmpegPath,
    seconds: 3,
    channels: 1,
    format: 'mp3',
  });
  await writeCorruptFile(join(dir, 'corrupt.mp4'));
  await writeFile(join(dir, 'notes.txt'), 'just some text, not media\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('probeMedia', () => {
  it('reads the duration, format and streams of a video', async () => {
    const probe = await probeMedia(join(dir, 'clip.mp4'), { ffprobePath });
    expect(probe.durationSeconds).toBeCloseTo(2, 1);
    expect(probe.formatName).toContain('mp4');
    expect(probe.video).toEqual({ codec: 'h264', width: 320, height: 240, rotation: 0 });
    expect(probe.audio).toMatchObject({ codec: 'aac', channels: 2, sampleRate: 48000 });
  });

  it('reads an audio file as audio only', async () => {
    const probe = await probeMedia(join(dir, 'tone.mp3'), { ffprobePath });
    expect(probe.video).toBeUndefined();
    expect(probe.audio).toEqual({ codec: 'mp3', channels: 1, sampleRate: 44100 });
  });

  it('rejects a corrupt file with UnsupportedMediaError whose message does not name the path', async () => {
    const failure = probeMedia(join(dir, 'corrupt.mp4'), { ffprobePath });
    await expect(failure).rejects.toBeInstanceOf(UnsupportedMediaError);
    await expect(failure).rejects.not.toThrow(dir);
  });

  it('rejects a file that is not media with UnsupportedMediaError', async () => {
    await expect(probeMedia(join(dir, 'notes.txt'), { ffprobePath })).rejects.toBeInstanceOf(
      UnsupportedMediaError,
    );
  });

  it('rejects with an AbortError when the signal has aborted', async () => {
    await expect(
      probeMedia(join(dir, 'clip.mp4'), { ffprobePath, signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('reports a missing ffprobe binary as a plain (retryable) error', async () => {
    const failure = probeMedia(join(dir, 'clip.mp4'), { ffprobePath: join(dir, 'no-ffprobe') });
    await expect(failure).rejects.toThrow(/could not be started/);
    await expect(failure).rejects.not.toBeInstanceOf(UnsupportedMediaError);
  });
});

describe('resolveFfmpegPaths', () => {
  it('prefers FFMPEG_PATH and FFPROBE_PATH', () => {
    expect(
      resolveFfmpegPaths({ FFMPEG_PATH: '/opt/ff/ffmpeg', FFPROBE_PATH: '/opt/ff/ffprobe' }),
    ).toEqual({
      ffmpegPath: '/opt/ff/ffmpeg',
      ffprobePath: '/opt/ff/ffprobe',
    });
  });

  it('falls back to the binaries of the npm installer packages', () => {
    const paths = resolveFfmpegPaths({});
    expect(paths.ffmpegPath).toMatch(/ffmpeg$/);
    expect(paths.ffprobePath).toMatch(/ffprobe$/);
  });
});
