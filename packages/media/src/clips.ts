import { runFfmpeg } from './run-ffmpeg.js';
import { UnsupportedMediaError } from './errors.js';
import type { MediaProbe } from './probe.js';

/** The spec's video preview: 10 s, 1280x720, 1000k video, 128k audio. */
export const VIDEO_PREVIEW = {
  seconds: 10,
  width: 1280,
  height: 720,
  videoBitrateK: 1000,
  audioBitrateK: 128,
} as const;

/** The spec's audio preview: 30 s MP3 at 128k. */
export const AUDIO_PREVIEW = { seconds: 30, bitrateK: 128 } as const;

/**
 * Where a long source's clip starts, as a fraction of its duration: past an intro or a title
 * card, and for a song usually into the first verse or chorus.
 */
export const CLIP_START_FRACTION = 0.2;

/** x264 preset: about 2x faster than `medium` at 1000k, with little visible loss on a 10 s clip. */
export const X264_PRESET = 'veryfast';

export interface ClipWindow {
  startSeconds: number;
  durationSeconds: number;
}

/**
 * Where the clip starts and how long it is. A source no longer than the clip gives the whole
 * source; a longer one starts at `CLIP_START_FRACTION` of its duration, moved earlier when needed
 * so the clip never runs past the end.
 */
export function clipWindow(sourceSeconds: number, clipSeconds: number): ClipWindow {
  const source = Number.isFinite(sourceSeconds) && sourceSeconds > 0 ? sourceSeconds : 0;
  if (source <= clipSeconds) return { startSeconds: 0, durationSeconds: source };
  const start = Math.min(source * CLIP_START_FRACTION, source - clipSeconds);
  // Milliseconds: what ffmpeg is given, so what the caller sees is what ran.
  return { startSeconds: Math.floor(start * 1000) / 1000, durationSeconds: clipSeconds };
}

const seconds = (value: number) => value.toFixed(3);

/** Input options: seek before `-i`, so ffmpeg jumps to the nearest keyframe instead of decoding up to the start. */
export function inputSeekArgs(window: ClipWindow): string[] {
  return window.startSeconds > 0 ? ['-ss', seconds(window.startSeconds)] : [];
}

/** The scale-to-fit and pad filter chain: aspect ratio kept, black bars, square pixels. */
export const VIDEO_FILTER =
  `scale=${VIDEO_PREVIEW.width}:${VIDEO_PREVIEW.height}:force_original_aspect_ratio=decrease,` +
  `pad=${VIDEO_PREVIEW.width}:${VIDEO_PREVIEW.height}:(ow-iw)/2:(oh-ih)/2:color=black,` +
  'setsar=1,format=yuv420p';

/** Output options of the video preview (everything after `-i input`, before the output path). */
export function videoPreviewArgs(window: ClipWindow, hasAudio: boolean): string[] {
  return [
    '-map', '0:v:0',
    ...(hasAudio ? ['-map', '0:a:0'] : []),
    '-t', seconds(window.durationSeconds),
    // Location, device and author tags of the original have no place in a public preview.
    '-map_metadata', '-1',
    '-map_chapters', '-1',
    '-vf', VIDEO_FILTER,
    '-c:v', 'libx264',
    '-preset', X264_PRESET,
    '-b:v', `${VIDEO_PREVIEW.videoBitrateK}k`,
    // VBV: without it x264's ABR overshoots on a 10 s clip (1.7x measured on a noisy source).
    '-maxrate', `${VIDEO_PREVIEW.videoBitrateK}k`,
    '-bufsize', `${VIDEO_PREVIEW.videoBitrateK * 2}k`,
    '-pix_fmt', 'yuv420p',
    ...(hasAudio
      ? ['-c:a', 'aac', '-b:a', `${VIDEO_PREVIEW.audioBitrateK}k`, '-ac', '2']
      : ['-an']),
    '-sn',
    '-dn',
    '-movflags', '+faststart',
    '-f', 'mp4',
  ]; // prettier-ignore
}

/** Output options of the audio preview: CBR MP3 (libmp3lame's mode when given `-b:a`). */
export function audioPreviewArgs(window: ClipWindow): string[] {
  return [
    '-map', '0:a:0',
    '-t', seconds(window.durationSeconds),
    '-map_metadata', '-1',
    '-vn',
    '-sn',
    '-dn',
    '-c:a', 'libmp3lame',
    '-b:a', `${AUDIO_PREVIEW.bitrateK}k`,
    '-f', 'mp3',
  ]; // prettier-ignore
}

export interface RenderOptions {
  input: string;
  output: string;
  probe: MediaProbe;
  ffmpegPath: string;
  signal?: AbortSignal;
  /** Kill ffmpeg (SIGKILL) and reject with `MediaTimeoutError` after this long. */
  timeoutMs: number;
  /** 0..100, rising, at most every 250 ms, and 100 once the file is complete. */
  onProgress?: (percent: number) => void;
}

type CommandLineOptions = Pick<RenderOptions, 'input' | 'output' | 'probe'>;

/**
 * The full ffmpeg argument list of a video preview, exactly as `renderVideoPreview` runs it
 * through fluent-ffmpeg (which adds `-y` after the inputs): a benchmark can spawn
 * `ffmpegPath` with it to time the same work without the worker.
 */
export function buildVideoCommandLine(options: CommandLineOptions): string[] {
  const window = clipWindow(options.probe.durationSeconds, VIDEO_PREVIEW.seconds);
  return commandLine(
    options,
    inputSeekArgs(window),
    videoPreviewArgs(window, !!options.probe.audio),
  );
}

/** The full ffmpeg argument list of an audio preview; see `buildVideoCommandLine`. */
export function buildAudioCommandLine(options: CommandLineOptions): string[] {
  const window = clipWindow(options.probe.durationSeconds, AUDIO_PREVIEW.seconds);
  return commandLine(options, inputSeekArgs(window), audioPreviewArgs(window));
}

function commandLine(options: CommandLineOptions, input: string[], output: string[]): string[] {
  return [...input, '-i', options.input, '-y', ...output, options.output];
}

/**
 * A 10 s clip scaled to fit 1280x720 with the aspect ratio kept and black bars, H.264 (libx264,
 * veryfast) at 1000k, AAC 128k stereo when the source has audio (none otherwise), yuv420p MP4
 * with `+faststart`. Rejects with `UnsupportedMediaError` for a source without video.
 */
export async function renderVideoPreview(
  options: RenderOptions,
): Promise<{ durationSeconds: number }> {
  if (!options.probe.video) {
    throw new UnsupportedMediaError('The file has no video stream to preview.');
  }
  const window = clipWindow(options.probe.durationSeconds, VIDEO_PREVIEW.seconds);
  await render(options, window, videoPreviewArgs(window, !!options.probe.audio));
  return { durationSeconds: window.durationSeconds };
}

/** A 30 s MP3 at 128k CBR (libmp3lame). Rejects with `UnsupportedMediaError` for a source without audio. */
export async function renderAudioPreview(
  options: RenderOptions,
): Promise<{ durationSeconds: number }> {
  if (!options.probe.audio) {
    throw new UnsupportedMediaError('The file has no audio stream to preview.');
  }
  const window = clipWindow(options.probe.durationSeconds, AUDIO_PREVIEW.seconds);
  await render(options, window, audioPreviewArgs(window));
  return { durationSeconds: window.durationSeconds };
}

function render(
  options: RenderOptions,
  window: ClipWindow,
  outputOptions: string[],
): Promise<void> {
  return runFfmpeg({
    input: options.input,
    output: options.output,
    ffmpegPath: options.ffmpegPath,
    inputOptions: inputSeekArgs(window),
    outputOptions,
    outputSeconds: window.durationSeconds,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    onProgress: options.onProgress,
  });
}
