import type { Producer } from '@conveyor/queue-contracts/producer';

/** Jobs added per Redis round trip. */
const CHUNK = 1_000;

/**
 * The delivery job id of a notification: the same notification never has two jobs in the queue
 * at once, so the outbox sweeper and a slow producer cannot double it.
 */
export const deliveryJobId = (notificationId: string) => `deliver-${notificationId}`;

/**
 * Enqueues one delivery job per notification, in chunks. Rows are committed before this runs;
 * when Redis is unreachable the rows stay `pending` and the delivery sweeper enqueues them
 * later, so a failure here loses nothing and is reported, not thrown.
 */
export async function enqueueDeliveries(
  producer: Producer,
  notificationIds: readonly string[],
  meta: { requestId?: string } = {},
): Promise<{ enqueued: number; error?: Error }> {
  let enqueued = 0;
  try {
    for (let start = 0; start < notificationIds.length; start += CHUNK) {
      const chunk = notificationIds.slice(start, start + CHUNK);
      await producer.enqueueMany(
        'notification.deliver',
        chunk.map((notificationId) => ({
          payload: { notificationId, ...meta },
          options: { jobId: deliveryJobId(notificationId) },
        })),
      );
      enqueued += chunk.length;
    }
    return { enqueued };
  } catch (error) {
    return { enqueued, error: error as Error };
  }
}
