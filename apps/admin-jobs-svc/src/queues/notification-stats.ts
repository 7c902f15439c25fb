import type { Database } from '@conveyor/db/client';
import { digestStats } from '@conveyor/notifications/digest-stats';
import { QueueName } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import { queueCounts, waitingTotal } from './queue-stats.js';

/** Spec 002 "Get Notification Delivery Job Stats". */
export interface NotificationStats {
  delivery: { waiting: number; active: number; completed: number; failed: number };
  digest: {
    lastDailyRun?: string;
    lastWeeklyRun?: string;
    nextDailyRun?: string;
    nextWeeklyRun?: string;
  };
}

/**
 * The delivery queue's counts from BullMQ (so `completed` and `failed` are what Redis still
 * retains) and the digest's last and next runs from the digest tables.
 */
export async function notificationStats(
  queues: Producer,
  db: Database,
): Promise<NotificationStats> {
  const [counts, digest] = await Promise.all([
    queueCounts(queues.queue(QueueName.notificationDelivery)),
    digestStats(db),
  ]);
  return {
    delivery: {
      waiting: waitingTotal(counts),
      active: counts.active,
      completed: counts.completed,
      failed: counts.failed,
    },
    // The spec's four fields only: `latest` (per-run counts) is not part of this contract.
    digest: {
      ...(digest.lastDailyRun ? { lastDailyRun: digest.lastDailyRun } : {}),
      ...(digest.lastWeeklyRun ? { lastWeeklyRun: digest.lastWeeklyRun } : {}),
      ...(digest.nextDailyRun ? { nextDailyRun: digest.nextDailyRun } : {}),
      ...(digest.nextWeeklyRun ? { nextWeeklyRun: digest.nextWeeklyRun } : {}),
    },
  };
}
