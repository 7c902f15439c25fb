import type { Database } from '@conveyor/db/client';
import {
  webhookAttempts,
  webhookDeliveries,
  webhookMessages,
  type WebhookDelivery,
} from '@conveyor/db/schema';
import { enqueueForEndpoint } from '@conveyor/webhooks/enqueue';
import { testMessage } from '@conveyor/webhooks/messages';
import { and, count, desc, eq, inArray, lte, sql, type SQL } from 'drizzle-orm';
import {
  attemptViewColumns,
  deliveryViewColumns,
  toDeliveryView,
  type AttemptRow,
  type DeliveryView,
} from './delivery-view.js';
import { lockEndpoint } from './endpoints-repository.js';
import type { Refusal } from './refusal.js';

const deliveries = webhookDeliveries;

/** Attempts shown per delivery: the latest ones, since a delivery resent often keeps them all. */
export const MAX_ATTEMPTS_SHOWN = 20;

export type DeliveryState = WebhookDelivery['state'];

export interface DeliveryPageRequest {
  /** From 1. */
  page: number;
  limit: number;
}

/** The newest `MAX_ATTEMPTS_SHOWN` attempts of each delivery, oldest first: one query for all. */
async function latestAttempts(db: Database, deliveryIds: readonly number[]) {
  if (deliveryIds.length === 0) return new Map<number, AttemptRow[]>();
  const ranked = db
    .select({
      ...attemptViewColumns,
      rank: sql<number>`row_number() over (partition by ${webhookAttempts.deliveryId} order by ${webhookAttempts.attemptNumber} desc)`.as(
        'rank',
      ),
    })
    .from(webhookAttempts)
    .where(inArray(webhookAttempts.deliveryId, [...deliveryIds]))
    .as('ranked');
  const rows = await db
    .select()
    .from(ranked)
    .where(lte(ranked.rank, MAX_ATTEMPTS_SHOWN))
    .orderBy(ranked.deliveryId, ranked.attemptNumber);
  const byDelivery = new Map<number, AttemptRow[]>();
  for (const { rank: _rank, ...attempt } of rows) {
    const list = byDelivery.get(attempt.deliveryId) ?? [];
    list.push(attempt);
    byDelivery.set(attempt.deliveryId, list);
  }
  return byDelivery;
}

/**
 * The deliveries `where` selects, newest first (webhook_deliveries_endpoint_idx keeps an
 * endpoint's in that order), with their attempts: two queries, however long the page.
 */
async function deliveryViews(
  db: Database,
  where: SQL | undefined,
  { limit, offset }: { limit: number; offset: number },
): Promise<DeliveryView[]> {
  const rows = await db
    .select(deliveryViewColumns)
    .from(deliveries)
    .innerJoin(webhookMessages, eq(webhookMessages.id, deliveries.messageId))
    .where(where)
    .orderBy(desc(deliveries.id))
    .limit(limit)
    .offset(offset);
  const attempts = await latestAttempts(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => toDeliveryView(row, attempts.get(row.id) ?? []));
}

const ofEndpoint = (endpointId: number, state?: DeliveryState) =>
  and(
    eq(deliveries.endpointId, endpointId),
    state === undefined ? undefined : eq(deliveries.state, state),
  );

/**
 * The deliveries of webhook endpoints. Reads take an endpoint id the caller was found to own;
 * writes take the owner and check it themselves, under a lock on the endpoint.
 */
export function createDeliveriesRepository(db: Database) {
  return {
    /** One page of the endpoint's deliveries, newest first, with the total of the filtered list. */
    async list(
      endpointId: number,
      state: DeliveryState | undefined,
      { page, limit }: DeliveryPageRequest,
    ): Promise<{ rows: DeliveryView[]; total: number }> {
      const offset = (page - 1) * limit;
      const rows = await deliveryViews(db, ofEndpoint(endpointId, state), { limit, offset });
      // A short page that is not past the end already tells the total: no count needed.
      if (rows.length < limit && (rows.length > 0 || offset === 0)) {
        return { rows, total: offset + rows.length };
      }
      const [counted] = await db
        .select({ total: count() })
        .from(deliveries)
        .where(ofEndpoint(endpointId, state));
      return { rows, total: counted?.total ?? 0 };
    },

    /**
     * Makes a finished delivery (succeeded or failed) due again at once with a fresh retry
     * budget; its attempts stay in the log and their numbers count on. A delivery still
     * pending or being sent is left to the worker.
     */
    async resend(
      ownerId: string,
      endpointId: number,
      deliveryId: number,
    ): Promise<DeliveryView | Refusal> {
      return db.transaction(async (tx) => {
        const endpoint = await lockEndpoint(tx, ownerId, endpointId);
        if (!endpoint) return 'no-webhook';
        const [delivery] = await tx
          .select({ state: deliveries.state })
          .from(deliveries)
          .where(and(eq(deliveries.id, deliveryId), eq(deliveries.endpointId, endpointId)))
          .for('update');
        if (!delivery) return 'no-delivery';
        if (!endpoint.active) return 'disabled';
        if (delivery.state === 'pending' || delivery.state === 'sending') return 'in-progress';
        await tx
          .update(deliveries)
          .set({
            state: 'pending',
            runAttempts: 0,
            nextAttemptAt: sql`now()`,
            lastError: null,
            claimedBy: null,
            leaseUntil: null,
            // A resend sends this message again; a newer progress event must not replace it.
            coalesceKey: null,
          })
          .where(eq(deliveries.id, deliveryId));
        const [view] = await deliveryViews(tx, eq(deliveries.id, deliveryId), {
          limit: 1,
          offset: 0,
        });
        return view!;
      });
    },

    /**
     * Stores a `test` message for the endpoint alone, due at once. Answers the delivery's id
     * and the message's `webhook-id`.
     */
    async sendTest(
      ownerId: string,
      endpointId: number,
    ): Promise<{ deliveryId: number; webhookId: string } | Refusal> {
      return db.transaction(async (tx) => {
        const endpoint = await lockEndpoint(tx, ownerId, endpointId);
        if (!endpoint) return 'no-webhook';
        if (!endpoint.active) return 'disabled';
        const message = testMessage(ownerId);
        const deliveryId = await enqueueForEndpoint(tx, message, endpointId);
        return { deliveryId, webhookId: message.id };
      });
    },
  };
}

export type DeliveriesRepository = ReturnType<typeof createDeliveriesRepository>;
