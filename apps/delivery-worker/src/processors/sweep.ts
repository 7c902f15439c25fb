import type { Database } from '@conveyor/db/client';
import { deliveryJobId, enqueueDeliveries } from '@conveyor/notifications/delivery-jobs';
import { QueueName, type ParsedPayloadOf, type ResultOf } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { Logger } from '@conveyor/runtime/logger';
import type { Config } from '../config.js';
import type { DeliveryMetrics } from '../delivery-metrics.js';
import { findDue, type DueRow } from '../delivery-store.js';

export interface SweepDeps {
  db: Database;
  producer: Producer;
  config: Pick<Config, 'OUTBOX_GRACE_SECONDS' | 'CLAIM_LEASE_SECONDS'>;
  logger: Logger;
  metrics?: DeliveryMetrics;
  /** Rows read and enqueued per round trip. @defaultValue 500 */
  batchSize?: number;
}

export type SweepPayload = ParsedPayloadOf<'notification.sweep'>;
export type SweepResult = ResultOf<'notification.sweep'>;

const FINISHED = new Set(['completed', 'failed']);

/**
 * A row that is due while its deterministic job is already finished (a job that completed as
 * "claimed by another worker" whose holder then died, or one that BullMQ failed after stalling)
 * would never run again: adding a job under an id Redis still keeps is a no-op. Such finished
 * jobs are removed first, so the add below creates a fresh one. Waiting, delayed and active
 * jobs are left alone: the add is a no-op for them, which is what keeps a row from doubling.
 */
async function releaseFinishedJobs(producer: Producer, notificationIds: readonly string[]) {
  const queue = producer.queue(QueueName.notificationDelivery);
  await Promise.all(
    notificationIds.map(async (notificationId) => {
      const jobId = deliveryJobId(notificationId);
      if (FINISHED.has(await queue.getJobState(jobId))) await queue.remove(jobId);
    }),
  );
}

/**
 * The outbox sweep: hands to the queue every notification still waiting for its email, the
 * `pending` ones older than OUTBOX_GRACE_SECONDS (their producer died between commit and
 * enqueue, or Redis was away) and the `sending` ones whose claim outlived CLAIM_LEASE_SECONDS
 * (their worker died). Deterministic job ids make it safe to run at any time, twice, or on two
 * instances at once: a row whose job still waits is not doubled.
 */
export async function sweepOutbox(deps: SweepDeps, payload: SweepPayload): Promise<SweepResult> {
  const log = deps.logger.child({ job: 'notification.sweep', requestId: payload.requestId });
  const limit = deps.batchSize ?? 500;
  let enqueued = 0;
  let after: DueRow | undefined;
  for (;;) {
    const due = await findDue(deps.db, {
      graceSeconds: deps.config.OUTBOX_GRACE_SECONDS,
      leaseSeconds: deps.config.CLAIM_LEASE_SECONDS,
      limit,
      ...(after ? { after } : {}),
    });
    if (due.length === 0) break;
    const ids = due.map((row) => row.id);
    await releaseFinishedJobs(deps.producer, ids);
    const result = await enqueueDeliveries(
      deps.producer,
      ids,
      payload.requestId ? { requestId: payload.requestId } : {},
    );
    enqueued += result.enqueued;
    deps.metrics?.swept(result.enqueued);
    // Redis refused: the rows stay due, and the next sweep (or a retry of this one) takes them.
    if (result.error) throw result.error;
    after = due.at(-1);
    if (due.length < limit) break;
  }
  if (enqueued > 0) log.info({ enqueued }, 'outbox sweep enqueued deliveries');
  else log.debug('outbox sweep found nothing due');
  return { enqueued };
}
