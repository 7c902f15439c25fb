import { join } from 'node:path';
import {
  loadAsset,
  markPreviewAttempt,
  markPreviewFailed,
  markPreviewSucceeded,
} from '@conveyor/assets/preview-state';
import type { Database } from '@conveyor/db/client';
import type { Asset } from '@conveyor/db/schema';
import type { FfmpegPaths } from '@conveyor/media/binaries';
import { renderAudioPreview, renderVideoPreview } from '@conveyor/media/clips';
import { probeMedia } from '@conveyor/media/probe';
import { isSafeKey, type MediaStorage } from '@conveyor/media/storage';
import { withTempDir } from '@conveyor/media/temp';
import type { ParsedPayloadOf, ResultOf } from '@conveyor/queue-contracts';
import type { Logger } from '@conveyor/runtime/logger';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Config } from '../config.js';
import { classifyFailure, isNotFound, MissingOriginalError } from './preview-failure.js';
import { previewFormatOf, previewKeyOf, type PreviewFormat } from './preview-target.js';
import { createProgressReporter, type ProgressReporter } from './progress.js';

export type PreviewPayload = ParsedPayloadOf<'asset.preview'>;
export type PreviewResult = ResultOf<'asset.preview'>;

export interface PreviewDeps {
  db: Database;
  storage: MediaStorage;
  ffmpeg: FfmpegPaths;
  config: Pick<Config, 'PREVIEW_TIMEOUT_SECONDS' | 'PREVIEW_TMP_DIR'>;
  logger: Logger;
  /** Aborted when the worker shuts down: every render in hand stops, and its job is retried. */
  shutdown: AbortSignal;
  /** @defaultValue `() => new Date()` */
  now?: () => Date;
}

/** The parts of the BullMQ job the processor uses. */
export type PreviewJob = Pick<Job, 'id' | 'attemptsMade' | 'opts' | 'updateProgress'>;

/** Share of the progress bar the render takes; storing and recording the preview is the rest. */
const RENDER_SHARE = 0.95;

/**
 * `asset.preview`: the preview clip of one VIDEO or AUDIO asset (spec 002). Reads the original
 * from storage, probes it, renders the clip with ffmpeg into a temporary directory (removed
 * whatever happens), stores it under `previews/<assetId>/v<sourceVersion>.<mp4|mp3>` and
 * records it on the asset. `previewLastAttempt` is written at the start of every attempt.
 *
 * Failures (see ./preview-failure): a corrupt or unsupported source, or a missing original,
 * fails at once (`UnrecoverableError`) with the reason in `previewError`; anything else is
 * rethrown for BullMQ to retry with backoff, and the last attempt records a `previewError`. A
 * cancelled job records that it was cancelled and fails `Cancelled` (worker-kit).
 *
 * ffmpeg and ffprobe are child processes: the event loop only relays their progress and waits.
 */
export async function generatePreview(
  deps: PreviewDeps,
  payload: PreviewPayload,
  job: PreviewJob,
  signal: AbortSignal,
): Promise<PreviewResult> {
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ assetId: payload.assetId, requestId: payload.requestId });
  const asset = await loadAsset(deps.db, payload.assetId);
  // A job naming an owner (a user's own submission) reaches only that owner's asset.
  if (!asset || (payload.ownerId !== undefined && asset.ownerId !== payload.ownerId)) {
    throw new UnrecoverableError('Asset not found');
  }
  const format = previewFormatOf(asset.type);
  if (!format) {
    throw new UnrecoverableError(`No preview is made for ${asset.type} assets`);
  }
  const guard = { sourceVersion: asset.sourceVersion };
  const previewKey = previewKeyOf(asset.id, asset.sourceVersion, format);
  const progress = createProgressReporter((percent) => job.updateProgress(percent), log);

  // A retry of an attempt that stored and recorded the preview, then lost its job's completion
  // (a crash, a stalled lock): the work is done.
  const done = alreadyGenerated(asset, previewKey);
  if (done) {
    progress.report(100);
    await progress.flush();
    return done;
  }

  await markPreviewAttempt(deps.db, asset.id, now(), guard);
  const abort = AbortSignal.any([signal, deps.shutdown]);
  let stored: { size: number; durationSeconds: number };
  try {
    stored = await renderAndStore(deps, { asset, format, previewKey, progress, signal: abort });
  } catch (error) {
    await progress.flush();
    throw await failed(deps, { asset, job, signal, error, log, at: now() });
  }

  const previewUrl = deps.storage.urlOf(previewKey);
  const recorded = await markPreviewSucceeded(deps.db, asset.id, {
    previewKey,
    previewUrl,
    size: stored.size,
    durationSeconds: stored.durationSeconds,
    at: now(),
    ...guard,
  });
  if (!recorded) {
    // Replaced or deleted meanwhile: this version's file stays under its own key, unreferenced;
    // the new version gets its own job.
    log.info({ previewKey }, 'the asset changed while its preview was made; not recorded');
  }
  progress.report(100);
  await progress.flush();
  log.info({ previewKey, size: stored.size }, 'preview generated');
  return { previewUrl, previewSize: stored.size, previewDuration: stored.durationSeconds };
}

function alreadyGenerated(asset: Asset, previewKey: string): PreviewResult | undefined {
  const metadata = asset.metadata;
  if (asset.previewKey !== previewKey || asset.previewUrl === null || !metadata?.previewGenerated) {
    return undefined;
  }
  return {
    previewUrl: asset.previewUrl,
    previewSize: metadata.previewSize ?? 0,
    previewDuration: metadata.previewDuration ?? 0,
  };
}

async function renderAndStore(
  deps: PreviewDeps,
  work: {
    asset: Asset;
    format: PreviewFormat;
    previewKey: string;
    progress: ProgressReporter;
    signal: AbortSignal;
  },
): Promise<{ size: number; durationSeconds: number }> {
  const { asset, format, signal } = work;
  const timeoutMs = deps.config.PREVIEW_TIMEOUT_SECONDS * 1_000;
  if (!isSafeKey(asset.storageKey)) {
    throw new MissingOriginalError('The original file has an invalid storage location.');
  }
  // The directory is removed on every way out, after ffmpeg has exited (a killed render
  // rejects only once its process is gone).
  return withTempDir(
    `preview-${asset.id}-`,
    async (dir) => {
      const source = await deps.storage.read(asset.storageKey, signal).catch((error: unknown) => {
        if (isNotFound(error)) throw new MissingOriginalError('The original file is missing.');
        throw error;
      });
      try {
        const probe = await probeMedia(source.path, {
          ffprobePath: deps.ffmpeg.ffprobePath,
          signal,
          timeoutMs,
        });
        const output = join(dir, `preview.${format.extension}`);
        const render = format.kind === 'video' ? renderVideoPreview : renderAudioPreview;
        const { durationSeconds } = await render({
          input: source.path,
          output,
          probe,
          ffmpegPath: deps.ffmpeg.ffmpegPath,
          signal,
          timeoutMs,
          onProgress: (percent) => work.progress.report(percent * RENDER_SHARE),
        });
        signal.throwIfAborted();
        const { size } = await deps.storage.write(work.previewKey, output, format.contentType);
        return { size, durationSeconds: Math.round(durationSeconds * 1_000) / 1_000 };
      } finally {
        await source.release();
      }
    },
    deps.config.PREVIEW_TMP_DIR,
  );
}

/**
 * Records a failed attempt where it is final and returns the error to throw: an
 * `UnrecoverableError` for a permanent failure, the error itself otherwise (worker-kit turns it
 * into `Cancelled` for a cancelled job; BullMQ retries a transient one while attempts remain).
 */
async function failed(
  deps: PreviewDeps,
  context: {
    asset: Asset;
    job: PreviewJob;
    signal: AbortSignal;
    error: unknown;
    log: Logger;
    at: Date;
  },
): Promise<unknown> {
  const { asset, job, error, log } = context;
  const attempts = job.opts.attempts ?? 1;
  const failure = classifyFailure(error, {
    cancelled: context.signal.aborted,
    shuttingDown: deps.shutdown.aborted,
    timeoutSeconds: deps.config.PREVIEW_TIMEOUT_SECONDS,
    attempts,
  });
  const lastAttempt = job.attemptsMade + 1 >= attempts;
  const final = failure.kind !== 'transient' || lastAttempt;
  log.warn(
    { err: error, failure: failure.kind, attemptsMade: job.attemptsMade, attempts, final },
    'preview attempt failed',
  );
  if (final) {
    try {
      await markPreviewFailed(deps.db, asset.id, {
        error: failure.message,
        at: context.at,
        sourceVersion: asset.sourceVersion,
      });
    } catch (markError) {
      // The job's own outcome still stands; the asset keeps its `previewLastAttempt`.
      log.error({ err: markError }, 'could not record the preview failure');
    }
  }
  return failure.kind === 'permanent' ? new UnrecoverableError(failure.message) : error;
}
