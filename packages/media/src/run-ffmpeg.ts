import { rm } from 'node:fs/promises';
import ffmpeg from 'fluent-ffmpeg';
import { MediaTimeoutError, UnsupportedMediaError, abortError } from './errors.js';

/** One ffmpeg run: a single input and a single file output. */
export interface FfmpegRun {
  input: string;
  output: string;
  ffmpegPath: string;
  inputOptions: readonly string[];
  outputOptions: readonly string[];
  /** Length of the output in seconds, the denominator of the progress percentage. */
  outputSeconds: number;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  onProgress?: ((percent: number) => void) | undefined;
}

/** Progress callbacks are throttled to one per this many milliseconds (plus the final 100). */
export const PROGRESS_INTERVAL_MS = 250;

/**
 * What ffmpeg prints when the input itself is unusable, so a retry cannot help. Anything else
 * (a killed process, a full disk, a missing binary) is treated as transient.
 */
const UNSUPPORTED_INPUT = [
  /Invalid data found when processing input/i,
  /moov atom not found/i,
  /does not contain any stream/i,
  /matches no streams/i,
  /could not find codec parameters/i,
  /Decoder \(codec [^)]*\) not found/i,
  /EBML header parsing failed/i,
];

/**
 * Runs ffmpeg through fluent-ffmpeg. On abort or timeout ffmpeg is killed with SIGKILL, the
 * partial output is removed, and the promise settles once the process has exited: an
 * `AbortError` for the signal, `MediaTimeoutError` for the time limit. Any other failure also
 * removes the output, and rejects with `UnsupportedMediaError` when stderr blames the input,
 * else with a plain `Error` carrying the last stderr lines.
 */
export function runFfmpeg(run: FfmpegRun): Promise<void> {
  const { signal } = run;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const progress = createProgress(run.outputSeconds, run.onProgress);
    // setFfmpegPath is per command in fluent-ffmpeg's API (it stores the path in the module's
    // cache, which every command of this process then shares; all callers pass the same path).
    const command = ffmpeg({ stdoutLines: 40 })
      .setFfmpegPath(run.ffmpegPath)
      .input(run.input)
      .inputOptions([...run.inputOptions])
      .output(run.output)
      .outputOptions([...run.outputOptions]);

    let started = false;
    let stopped: 'abort' | 'timeout' | undefined;
    const stop = (why: 'abort' | 'timeout') => {
      stopped ??= why;
      if (started) command.kill('SIGKILL');
    };
    const onAbort = () => stop('abort');
    const timer = setTimeout(() => stop('timeout'), run.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };

    command.on('start', () => {
      started = true;
      // Stopped while fluent-ffmpeg was still checking the binary's capabilities.
      if (stopped) command.kill('SIGKILL');
    });
    // Progress comes from ffmpeg's own stats lines ("time=00:00:04.52"). fluent-ffmpeg's
    // 'progress' event would do the same parsing, but a 'progress' listener also makes it run
    // a second ffprobe of the input for its own percentage, which probeMedia already gave us.
    command.on('stderr', (line: string) => progress.line(line));
    command.on('error', (error: Error, _stdout: string | null, stderr: string | null) => {
      settle();
      const failure = classify(error, stderr ?? '', stopped, run);
      rm(run.output, { force: true }).then(
        () => reject(failure),
        () => reject(failure),
      );
    });
    command.on('end', () => {
      settle();
      if (stopped) {
        // ffmpeg finished in the instant between the stop and the kill: honour the stop anyway.
        const failure = classify(new Error('stopped'), '', stopped, run);
        rm(run.output, { force: true }).then(
          () => reject(failure),
          () => reject(failure),
        );
        return;
      }
      progress.finish();
      resolve();
    });
    command.run();
  });
}

function classify(
  error: Error,
  stderr: string,
  stopped: 'abort' | 'timeout' | undefined,
  run: FfmpegRun,
): Error {
  if (stopped === 'abort') return abortError(run.signal);
  if (stopped === 'timeout') {
    return new MediaTimeoutError(`ffmpeg ran past ${run.timeoutMs} ms and was killed`);
  }
  const lines = stderr.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '');
  const blame = lines.find((l) => UNSUPPORTED_INPUT.some((re) => re.test(l)));
  if (blame !== undefined) {
    // ffmpeg names the file in the line ("/tmp/x/in: Invalid data…"); the user needs the reason.
    const reason = blame.replaceAll(run.input, 'input').replace(/^(?:\[[^\]]*\]\s*)?input: /, '');
    return new UnsupportedMediaError(
      `The file could not be decoded as audio or video (${reason}).`,
      {
        cause: error,
      },
    );
  }
  return new Error(`${error.message}\n${lines.slice(-10).join('\n')}`, { cause: error });
}

const TIME = /time=\s*(-?\d+):(\d\d):(\d\d(?:\.\d+)?)/;

function createProgress(total: number, onProgress: ((percent: number) => void) | undefined) {
  let last = -1;
  let lastAt = -Infinity;
  const emit = (percent: number) => {
    try {
      onProgress?.(percent);
    } catch {
      // A failing progress callback must not take the render down with it.
    }
  };
  return {
    line(line: string) {
      if (!onProgress) return;
      const match = TIME.exec(line);
      if (!match) return;
      const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
      // 100 is kept for the end, when the file is complete (faststart rewrites it after the last frame).
      const percent = Math.floor(Math.min(99, Math.max(0, (seconds / total) * 100)) * 10) / 10;
      const now = performance.now();
      if (percent <= last || now - lastAt < PROGRESS_INTERVAL_MS) return;
      last = percent;
      lastAt = now;
      emit(percent);
    },
    finish() {
      emit(100);
    },
  };
}
