/**
 * The source is corrupt or of no usable format or stream: retrying cannot help. The message is a
 * clear, user-facing reason (it becomes the asset's `previewError`).
 */
export class UnsupportedMediaError extends Error {
  override name = 'UnsupportedMediaError';
}

/** ffmpeg or ffprobe ran past its time limit and was killed. */
export class MediaTimeoutError extends Error {
  override name = 'MediaTimeoutError';
}

/**
 * A render or probe was cancelled through its `AbortSignal`; ffmpeg was killed. `name` is
 * `'AbortError'`, as for every other aborted platform API, and `cause` is the signal's reason.
 */
export class MediaAbortError extends Error {
  override name = 'AbortError';
}

/** The error to reject with when `signal` has aborted. */
export function abortError(signal: AbortSignal | undefined): MediaAbortError {
  return new MediaAbortError('the media operation was aborted', { cause: signal?.reason });
}
