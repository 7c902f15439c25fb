import { MediaTimeoutError, UnsupportedMediaError } from '@conveyor/media/errors';

/**
 * What a failed attempt means for the job and for the asset's `previewError`:
 * - `permanent`: retrying cannot help (a corrupt or unsupported source, a missing original);
 *   the job fails at once and the asset records why.
 * - `cancelled`: the job's owner or an admin cancelled it; worker-kit fails the job `Cancelled`.
 * - `transient`: anything else (storage, database, a timeout, a shutdown); BullMQ retries it
 *   with backoff, and only the last attempt records a `previewError`.
 * Every `message` is for the asset's owner: never a stack trace or a server path.
 */
export type PreviewFailure =
  | { kind: 'permanent'; message: string }
  | { kind: 'cancelled'; message: string }
  | { kind: 'transient'; message: string };

/** The original is gone from storage: a new upload is the only fix. */
export class MissingOriginalError extends Error {
  override name = 'MissingOriginalError';
}

export interface FailureContext {
  /** The job's own signal: aborted when the job was cancelled. */
  cancelled: boolean;
  /** The worker is shutting down and aborted the render; another attempt will run. */
  shuttingDown: boolean;
  timeoutSeconds: number;
  /** Attempts the job has in all. */
  attempts: number;
}

export function classifyFailure(error: unknown, context: FailureContext): PreviewFailure {
  if (context.cancelled) {
    return { kind: 'cancelled', message: 'Preview generation was cancelled.' };
  }
  if (error instanceof UnsupportedMediaError) {
    return { kind: 'permanent', message: error.message };
  }
  if (error instanceof MissingOriginalError) {
    return { kind: 'permanent', message: error.message };
  }
  const attempts = `${context.attempts} attempt${context.attempts === 1 ? '' : 's'}`;
  if (error instanceof MediaTimeoutError) {
    return {
      kind: 'transient',
      message: `Preview generation took longer than ${context.timeoutSeconds} seconds (${attempts}).`,
    };
  }
  if (context.shuttingDown) {
    return {
      kind: 'transient',
      message: `Preview generation was interrupted by worker shutdowns (${attempts}).`,
    };
  }
  return {
    kind: 'transient',
    message: `Preview generation failed after ${attempts}; please try again later.`,
  };
}

/** Whether a storage read failed because the object does not exist. */
export function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
