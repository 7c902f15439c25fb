import { execFile } from 'node:child_process';
import { open, writeFile } from 'node:fs/promises';
import { runFfprobe } from './probe.js';

/**
 * Media for tests of this package and of its users, generated with ffmpeg's lavfi sources (never
 * downloaded). Generation is kept cheap: noise is drawn at a quarter of the size and scaled up,
 * so an encoder still has to spend its bitrate, at a low frame rate.
 */

function ffmpeg(ffmpegPath: string, args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      ffmpegPath,
      ['-hide_banner', '-v', 'error', '-nostdin', ...args],
      { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr.toString('utf8')}`));
        else resolve(stdout);
      },
    );
  });
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

export interface GenerateVideoOptions {
  ffmpegPath: string;
  seconds: number;
  width: number;
  height: number;
  audio: boolean;
  /** @defaultValue 5 */
  frameRate?: number;
}

/** An H.264 MP4 of moving noisy test pattern (`testsrc2` + `noise`), with a 440 Hz stereo AAC track when `audio`. */
export async function generateVideo(path: string, options: GenerateVideoOptions): Promise<void> {
  const { seconds, width, height } = options;
  const rate = options.frameRate ?? 5;
  const video =
    `testsrc2=size=${even(width / 4)}x${even(height / 4)}:rate=${rate}:duration=${seconds},` +
    `noise=alls=40:allf=t,scale=${width}:${height}:flags=neighbor,setsar=1`;
  await ffmpeg(options.ffmpegPath, [
    '-f', 'lavfi', '-i', video,
    ...(options.audio
      ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`]
      : []),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '38', '-pix_fmt', 'yuv420p',
    ...(options.audio ? ['-c:a', 'aac', '-b:a', '64k', '-ac', '2'] : []),
    '-t', String(seconds),
    '-y', path,
  ]); // prettier-ignore
}

export interface GenerateAudioOptions {
  ffmpegPath: string;
  seconds: number;
  channels: 1 | 2;
  format: 'wav' | 'mp3';
}

/** A tone (440 Hz, and 660 Hz on the right channel) as 16-bit 44.1 kHz WAV or 128k MP3. */
export async function generateAudio(path: string, options: GenerateAudioOptions): Promise<void> {
  const expr = options.channels === 2 ? 'sin(440*2*PI*t)|sin(660*2*PI*t)' : 'sin(440*2*PI*t)';
  await ffmpeg(options.ffmpegPath, [
    '-f', 'lavfi', '-i', `aevalsrc=${expr}:s=44100:d=${options.seconds}`,
    ...(options.format === 'wav'
      ? ['-c:a', 'pcm_s16le', '-f', 'wav']
      : ['-c:a', 'libmp3lame', '-b:a', '128k', '-f', 'mp3']),
    '-y', path,
  ]); // prettier-ignore
}

/** An MP4 that is not one: a valid `ftyp` box followed by garbage and no `moov`. */
export async function writeCorruptFile(path: string): Promise<void> {
  const ftyp = Buffer.from(
    '0000001c6674797069736f6d0000020069736f6d69736f32617663316d703431',
    'hex',
  );
  const garbage = Buffer.alloc(64 * 1024);
  let x = 0x2545f491;
  for (let i = 0; i < garbage.length; i++) {
    // xorshift: deterministic noise, the same file on every run.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    garbage[i] = x & 0xff;
  }
  await writeFile(path, Buffer.concat([ftyp, garbage]));
}

export interface FfprobeJson {
  format: { duration?: string; bit_rate?: string; format_name?: string; size?: string };
  streams: {
    index: number;
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    pix_fmt?: string;
    bit_rate?: string;
    sample_aspect_ratio?: string;
    channels?: number;
    sample_rate?: string;
  }[];
}

/** ffprobe JSON of an output, for assertions: duration, streams, bit rates, aspect ratios. */
export async function ffprobeJson(path: string, ffprobePath: string): Promise<FfprobeJson> {
  const stdout = await runFfprobe({ ffprobePath }, [
    '-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path,
  ]); // prettier-ignore
  const parsed = JSON.parse(stdout) as Partial<FfprobeJson>;
  return { format: parsed.format ?? {}, streams: parsed.streams ?? [] };
}

/** Byte offsets of the top-level MP4 boxes by type (first occurrence), e.g. to check `moov` precedes `mdat`. */
export async function topLevelBoxes(path: string): Promise<Map<string, number>> {
  const boxes = new Map<string, number>();
  const handle = await open(path, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    const header = Buffer.alloc(16);
    let offset = 0;
    while (offset + 8 <= fileSize) {
      await handle.read(header, 0, 16, offset);
      let size = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      if (size === 1) size = Number(header.readBigUInt64BE(8));
      else if (size === 0) size = fileSize - offset;
      if (!boxes.has(type)) boxes.set(type, offset);
      if (size < 8) break;
      offset += size;
    }
  } finally {
    await handle.close();
  }
  return boxes;
}

/** One frame at `atSeconds` as 8-bit gray pixels, row by row. */
export async function grayFrame(
  path: string,
  options: { ffmpegPath: string; atSeconds: number },
): Promise<Buffer> {
  return ffmpeg(options.ffmpegPath, [
    '-ss', String(options.atSeconds), '-i', path,
    '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1',
  ]); // prettier-ignore
}
