import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFfmpegPaths } from '@conveyor/media/binaries';
import { generateAudio, generateVideo, writeCorruptFile } from '@conveyor/media/testing';
import { waitUntil } from '@conveyor/test-harness/ports';

/**
 * Source media the tests read (never write), generated with ffmpeg's lavfi sources. A 60 s
 * 1080p video takes ~20 s to generate on two cores, so each fixture is made once and kept in a
 * directory of the OS temp dir that every test file (and the next run) shares: the first file
 * to need it generates it under a lock, the others wait for it. Files appear by rename, so a
 * fixture is either whole or absent.
 */
const cacheDir = join(tmpdir(), 'conveyor-preview-worker-fixtures-v1');

export const ffmpeg = resolveFfmpegPaths(process.env);

const makers = {
  /** 60 s 1920x1080 H.264 with stereo AAC. */
  'video-60s-1080p.mp4': (path: string) =>
    generateVideo(path, {
      ffmpegPath: ffmpeg.ffmpegPath,
      seconds: 60,
      width: 1920,
      height: 1080,
      audio: true,
    }),
  /** 90 s stereo 16-bit WAV. */
  'audio-90s.wav': (path: string) =>
    generateAudio(path, { ffmpegPath: ffmpeg.ffmpegPath, seconds: 90, channels: 2, format: 'wav' }),
  /** An MP4 header followed by garbage. */
  'corrupt.mp4': (path: string) => writeCorruptFile(path),
} as const;

export type FixtureName = keyof typeof makers;

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Takes the fixture's lock: a file holding the pid of the process generating it. */
async function takeLock(lock: string): Promise<boolean> {
  try {
    await writeFile(lock, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    const holder = Number(await readFile(lock, 'utf8').catch(() => '0'));
    // A run that died while generating leaves its lock behind.
    if (holder > 0 && !alive(holder)) {
      await rm(lock, { force: true });
      return takeLock(lock);
    }
    return false;
  }
}

/** The path of a fixture, generated first if no run has made it yet. */
export async function fixture(name: FixtureName): Promise<string> {
  const path = join(cacheDir, name);
  if (await exists(path)) return path;
  await mkdir(cacheDir, { recursive: true });
  const lock = `${path}.lock`;
  if (!(await takeLock(lock))) {
    await waitUntil(async () => (await exists(path)) || !(await exists(lock)), {
      timeoutMs: 150_000,
      intervalMs: 200,
      what: `the fixture ${name}`,
    });
    return fixture(name);
  }
  try {
    // ffmpeg picks the container by the extension, so the partial name keeps it.
    const partial = join(cacheDir, `${process.pid}.partial.${name}`);
    await makers[name](partial);
    await rename(partial, path);
  } finally {
    await rm(lock, { force: true });
  }
  return path;
}
