import { access, constants } from 'node:fs/promises';
import { resolveFfmpegPaths, type FfmpegPaths } from '@conveyor/media/binaries';
import { createLocalDiskStorage, type MediaStorage } from '@conveyor/media/storage';
import {
  generateAssetPreview as previewJob,
  QueueName,
  schedules,
  sweepAssetPreviews as sweepJob,
} from '@conveyor/queue-contracts';
import { createProducer } from '@conveyor/queue-contracts/producer';
import type { RunningWorker, WorkerDeps } from '@conveyor/worker-kit/main';
import { bindProcessor, createQueueWorker } from '@conveyor/worker-kit/worker';
import type { Config } from './config.js';
import { generatePreview } from './processors/preview.js';
import { sweepAssetPreviews } from './processors/sweep.js';

export type PreviewWorkerDeps = WorkerDeps<Config> & {
  /**
   * Where originals are read and previews written.
   * @defaultValue the local-disk driver on MEDIA_ROOT, public at MEDIA_PUBLIC_BASE_URL
   */
  storage?: MediaStorage;
};

/** Both binaries, resolved and checked once, so a missing ffmpeg stops the start, not a job. */
async function ffmpegBinaries(config: Config): Promise<FfmpegPaths> {
  const paths = resolveFfmpegPaths(config);
  const check = async (variable: string, path: string) =>
    access(path, constants.X_OK).catch(() => {
      throw new Error(`${variable}: ${path} is not an executable file`);
    });
  await Promise.all([
    check('FFMPEG_PATH', paths.ffmpegPath),
    check('FFPROBE_PATH', paths.ffprobePath),
  ]);
  return paths;
}

/**
 * The preview worker: consumes `media-preview` (`asset.preview` and `asset.preview-sweep`)
 * with PREVIEW_CONCURRENCY jobs at once, and keeps the sweep's job scheduler in place.
 *
 * `close` stops taking jobs and aborts the renders in hand at once: their ffmpeg processes are
 * killed and their temporary files removed before it resolves, and their jobs go back to BullMQ
 * as failed attempts, retried after the backoff by this or another instance. A render takes up
 * to PREVIEW_TIMEOUT_SECONDS, far more than a shutdown may; waiting would only let the
 * process's deadline cut the render off with ffmpeg left running. The connections in `deps`
 * stay the caller's.
 */
export async function createPreviewWorker(deps: PreviewWorkerDeps): Promise<RunningWorker> {
  const { config, logger } = deps;
  const log = logger.child({ queue: QueueName.mediaPreview });
  const ffmpeg = await ffmpegBinaries(config);
  const storage =
    deps.storage ??
    createLocalDiskStorage({
      root: config.MEDIA_ROOT,
      publicBaseUrl: config.MEDIA_PUBLIC_BASE_URL,
    });
  const producer = createProducer({
    connection: deps.redis,
    prefix: config.BULL_PREFIX,
    onError: (err) => log.warn({ err }, 'queue error'),
  });

  // Every instance and every restart upserts it; there is still one sweep every 5 minutes.
  try {
    await producer.upsertSchedule(schedules.assetPreviewSweep);
  } catch (error) {
    await producer.close();
    throw error;
  }

  const shutdown = new AbortController();
  const db = deps.db.db;
  const queueWorker = createQueueWorker({
    processors: [
      bindProcessor(previewJob, (payload, job, signal) =>
        generatePreview(
          {
            db,
            storage,
            ffmpeg,
            config,
            logger: log.child({ jobId: job.id }),
            shutdown: shutdown.signal,
          },
          payload,
          job,
          signal,
        ),
      ),
      bindProcessor(sweepJob, (payload, job) =>
        sweepAssetPreviews({ db, producer, config, logger: log.child({ jobId: job.id }) }, payload),
      ),
    ],
    connection: deps.workerRedis,
    prefix: config.BULL_PREFIX,
    concurrency: config.PREVIEW_CONCURRENCY,
    logger,
    metrics: deps.metrics,
  });
  log.info(
    { concurrency: config.PREVIEW_CONCURRENCY, mediaRoot: config.MEDIA_ROOT },
    'preview worker started',
  );

  return {
    close: async () => {
      // BullMQ stops fetching first, then the renders in hand are aborted, and the close
      // resolves once their jobs are settled.
      const closing = queueWorker.close();
      shutdown.abort(new Error('the preview worker is shutting down'));
      try {
        await closing;
      } finally {
        await producer.close();
      }
    },
  };
}
