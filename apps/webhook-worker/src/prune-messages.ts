import type { Database } from '@conveyor/db/client';
import { webhookDeliveries, webhookMessages, type WebhookDelivery } from '@conveyor/db/schema';
import { and, eq, inArray, lt, notExists, notInArray } from 'drizzle-orm';

/** Messages deleted per statement: short transactions, so deliveries being sent never wait long. */
const CHUNK = 5_000;

/** Deliveries in these states are done with; any other is still to be sent. */
const finishedStates: WebhookDelivery['state'][] = ['succeeded', 'failed'];

/**
 * Deletes messages created more than `olderThanDays` days ago whose deliveries are all
 * finished, or that have none (a test message, a progress message a newer one replaced); their
 * deliveries and attempt logs go with them (ON DELETE CASCADE). A message with a delivery still
 * pending or being sent is kept however old. In chunks, stopping between chunks once `signal`
 * aborts; rows another instance is deleting are skipped, not waited for. Returns the number
 * of messages deleted.
 */
export async function pruneWebhookMessages(
  db: Database,
  olderThanDays: number,
  signal?: AbortSignal,
): Promise<number> {
  const cutoff = new Date(Date.now() - olderThanDays * 86_400_000);
  const unfinishedDelivery = db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.messageId, webhookMessages.id),
        notInArray(webhookDeliveries.state, finishedStates),
      ),
    );
  let total = 0;
  while (!signal?.aborted) {
    const doomed = db
      .select({ id: webhookMessages.id })
      .from(webhookMessages)
      .where(and(lt(webhookMessages.createdAt, cutoff), notExists(unfinishedDelivery)))
      .limit(CHUNK)
      .for('update', { skipLocked: true });
    const deleted = await db.delete(webhookMessages).where(inArray(webhookMessages.id, doomed));
    total += deleted.count;
    if (deleted.count < CHUNK) break;
  }
  return total;
}
