import {
  deliverNotification as deliverJob,
  QueueName,
  schedules,
  sweepNotificationOutbox as sweepJob,
} from '@conveyor/queue-contracts';
import { createProducer } from '@conveyor/queue-contracts/producer';
import type { RunningWorker, WorkerDeps } from '@conveyor/worker-kit/main';
import { bindProcessor, createQueueWorker } from '@conveyor/worker-kit/worker';
import type { Config } from './config.js';
import { createDeliveryMetrics } from './delivery-metrics.js';
import { createMailer, mailerOptionsOf } from '@conveyor/mail/mailer';
import { deliverNotification } from './processors/deliver.js';
import { sweepOutbox } from './processors/sweep.js';

export type DeliveryWorkerDeps = WorkerDeps<Config>;

/**
 * The delivery worker: consumes `notification-delivery` (`notification.deliver` and
 * `notification.sweep`) through a pooled SMTP transport, and keeps the outbox sweep's job
 * scheduler in place. `close` stops taking jobs, lets the ones in hand finish, then closes
 * the SMTP pool and the queue; the connections in `deps` stay the caller's.
 */
export async function createDeliveryWorker(deps: DeliveryWorkerDeps): Promise<RunningWorker> {
  const { config, logger } = deps;
  const log = logger.child({ queue: QueueName.notificationDelivery });
  const metrics = createDeliveryMetrics(deps.metrics);
  const producer = createProducer({
    connection: deps.redis,
    prefix: config.BULL_PREFIX,
    onError: (err) => log.warn({ err }, 'queue error'),
  });

  // Every instance and every restart upserts it; there is still one sweep every 30 s.
  try {
    await producer.upsertSchedule(schedules.notificationOutboxSweep);
  } catch (error) {
    await producer.close();
    throw error;
  }

  const mailer = createMailer(mailerOptionsOf(config));
  const db = deps.db.db;
  const queueWorker = createQueueWorker({
    processors: [
      bindProcessor(deliverJob, (payload, job) =>
        deliverNotification(
          { db, mailer, config, logger: log.child({ jobId: job.id }), metrics },
          payload,
          {
            attemptsMade: job.attemptsMade,
            attempts: job.opts.attempts ?? 1,
          },
        ),
      ),
      bindProcessor(sweepJob, (payload, job) =>
        sweepOutbox(
          { db, producer, config, logger: log.child({ jobId: job.id }), metrics },
          payload,
        ),
      ),
    ],
    connection: deps.workerRedis,
    prefix: config.BULL_PREFIX,
    concurrency: config.DELIVERY_CONCURRENCY,
    logger,
    metrics: deps.metrics,
  });
  log.info(
    { concurrency: config.DELIVERY_CONCURRENCY, smtpPool: config.SMTP_POOL_SIZE },
    'delivery worker started',
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
