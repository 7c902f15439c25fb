import { execFile } from 'node:child_process';
import { MediaTimeoutError, UnsupportedMediaError, abortError } from './errors.js';

export interface MediaProbe {
  durationSeconds: number;
  formatName: string;
  video?: { codec: string; width: number; height: number; rotation: number };
  audio?: { codec: string; channels: number; sampleRate: number };
}

export interface ProbeOptions {
  ffprobePath: string;
  signal?: AbortSignal;
  /** Kill ffprobe (SIGKILL) and reject with `MediaTimeoutError` after this long. @defaultValue 30000 */
  timeoutMs?: number;
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  channels?: number;
  sample_rate?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}

interface FfprobeOutput {
  format?: { duration?: string; format_name?: string };
  streams?: FfprobeStream[];
}

/**
 * ffprobe of a local file. Rejects with `UnsupportedMediaError` when ffprobe cannot read it, or it
 * has no audio or video stream, or no duration (a still image); `MediaTimeoutError` past
 * `timeoutMs`; an `AbortError` when `signal` aborts.
 *
 * ffprobe runs through `child_process.execFile` rather than fluent-ffmpeg's `ffprobe()`, which
 * keeps no handle on its child and so could honour neither the signal nor the time limit.
 */
export async function probeMedia(path: string, options: ProbeOptions): Promise<MediaProbe> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path];
  const stdout = await runFfprobe(options, args);
  let parsed: FfprobeOutput;
  try {
    parsed = JSON.parse(stdout) as FfprobeOutput;
  } catch {
    throw new UnsupportedMediaError('The file could not be read as audio or video.');
  }
  return toMediaProbe(parsed);
}

function toMediaProbe(parsed: FfprobeOutput): MediaProbe {
  const streams = parsed.streams ?? [];
  // A cover picture in an MP3 or M4A is a "video" stream of one frame; it is not a video.
  const video = streams.find(
    (s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1 && (s.width ?? 0) > 0,
  );
  const audio = streams.find((s) => s.codec_type === 'audio');
  if (!video && !audio) {
    throw new UnsupportedMediaError('The file has no audio or video stream.');
  }
  const durationSeconds = Number(parsed.format?.duration);
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) {
    throw new UnsupportedMediaError('The file has no duration: it is not playable audio or video.');
  }
  const probe: MediaProbe = { durationSeconds, formatName: parsed.format?.format_name ?? '' };
  if (video) {
    probe.video = {
      codec: video.codec_name ?? 'unknown',
      width: video.width ?? 0,
      height: video.height ?? 0,
      rotation: rotationOf(video),
    };
  }
  if (audio) {
    probe.audio = {
      codec: audio.codec_name ?? 'unknown',
      channels: audio.channels ?? 0,
      sampleRate: Number(audio.sample_rate ?? 0),
    };
  }
  return probe;
}

/** Clockwise display rotation in 0/90/180/270, from the display matrix or the older `rotate` tag. */
function rotationOf(stream: FfprobeStream): number {
  const matrix = stream.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  // The display matrix states a counter-clockwise angle (-90 for a phone held upright).
  const degrees = matrix !== undefined ? -matrix : Number(stream.tags?.rotate ?? 0);
  if (!Number.isFinite(degrees)) return 0;
  return (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
}

/** Runs ffprobe, killing it with SIGKILL on abort or timeout. Resolves with its stdout. */
export function runFfprobe(options: ProbeOptions, args: readonly string[]): Promise<string> {
  const { signal, timeoutMs = 30_000 } = options;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    let stopped: 'abort' | 'timeout' | undefined;
    const child = execFile(
      options.ffprobePath,
      args,
      { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', windowsHide: true },
      (error, stdout, stderr) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (stopped === 'abort') return reject(abortError(signal));
        if (stopped === 'timeout') {
          return reject(new MediaTimeoutError(`ffprobe ran past ${timeoutMs} ms and was killed`));
        }
        if (!error) return resolve(stdout);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !stderr) {
          // ffprobe itself is missing: a deployment problem, not the file's.
          return reject(new Error(`ffprobe could not be started: ${error.message}`));
        }
        // ffprobe prefixes the reason with the file's path, which is no business of the user's.
        const reason = (stderr.trim().split('\n').at(-1) ?? '').replace(/^.*?: (?=\S)/, '');
        reject(
          new UnsupportedMediaError(
            `The file could not be read as audio or video${reason ? ` (${reason})` : ''}.`,
            { cause: error },
          ),
        );
      },
    );
    const stop = (why: 'abort' | 'timeout') => {
      stopped ??= why;
      child.kill('SIGKILL');
    };
    const onAbort = () => stop('abort');
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
