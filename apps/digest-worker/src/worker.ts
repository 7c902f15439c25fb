import { createMailer, mailerOptionsOf } from '@conveyor/mail/mailer';
import {
  QueueName,
  schedules,
  sendDigestChunk as chunkJob,
  tickDigests as tickJob,
} from '@conveyor/queue-contracts';
import { createProducer } from '@conveyor/queue-contracts/producer';
import type { RunningWorker, WorkerDeps } from '@conveyor/worker-kit/main';
import { bindProcessor, createQueueWorker } from '@conveyor/worker-kit/worker';
import type { Config } from './config.js';
import { createDigestMetrics } from './digest-metrics.js';
import { sendDigestChunk } from './processors/send-chunk.js';
import { tickDigests } from './processors/tick.js';

export type DigestWorkerDeps = WorkerDeps<Config> & {
  /** The clock of the tick. @defaultValue the system clock */
  now?: () => Date;
};

/**
 * The digest worker: consumes `notification-digest` (`digest.tick` and `digest.chunk`),
 * keeps the hourly tick's job scheduler in place, and ticks once at start so an hour missed
 * while every worker was down is planned now rather than at the next hour. `close` stops taking
 * jobs, lets the ones in hand finish, then closes the SMTP pool and the queue.
 */
export async function createDigestWorker(deps: DigestWorkerDeps): Promise<RunningWorker> {
  const { config, logger } = deps;
  const log = logger.child({ queue: QueueName.notificationDigest });
  const metrics = createDigestMetrics(deps.metrics);
  const now = deps.now ?? (() => new Date());
  const producer = createProducer({
    connection: deps.redis,
    prefix: config.BULL_PREFIX,
    onError: (err) => log.warn({ err }, 'queue error'),
  });

  // Every instance and every restart upserts it; there is still one tick per hour.
  try {
    await producer.upsertSchedule(schedules.digestTick);
    // The catch-up tick: its id is the hour's, so instances starting together add it once.
    await producer.enqueue(
      'digest.tick',
      {},
      { jobId: `digest-tick-start-${Math.floor(now().getTime() / 3_600_000)}` },
    );
  } catch (error) {
    await producer.close();
    throw error;
  }

  const mailer = createMailer(mailerOptionsOf(config));
  const db = deps.db.db;
  const queueWorker = createQueueWorker({
    processors: [
      bindProcessor(tickJob, (payload) =>
        tickDigests({ db, producer, config, logger: log, now, metrics }, payload),
      ),
      bindProcessor(chunkJob, async (payload) => {
        const stopTimer = metrics.timeChunk();
        try {
          return await sendDigestChunk({ db, mailer, config, logger: log, metrics }, payload);
        } finally {
          stopTimer();
        }
      }),
    ],
    connection: deps.workerRedis,
    prefix: config.BULL_PREFIX,
    concurrency: config.DIGEST_CONCURRENCY,
    logger,
    metrics: deps.metrics,
  });
  log.info(
    { concurrency: config.DIGEST_CONCURRENCY, chunkSize: config.DIGEST_CHUNK_SIZE },
    'digest worker started',
  );

  return {
    close: async () => {
      try {
        await queueWorker.close();
      } finally {
        mailer.close();
        await producer.close();
      }
    },
  };
}
