import type { Database } from '@conveyor/db/client';
import {
  users,
  webhookDeliveries,
  webhookEndpoints,
  type WebhookEndpoint,
} from '@conveyor/db/schema';
import { generateSecret } from '@conveyor/webhooks/secrets';
import { and, count, desc, eq, sql, type SQLWrapper } from 'drizzle-orm';
import { endpointViewColumns, type EndpointRow } from './endpoint-view.js';
import type { Refusal } from './refusal.js';

const endpoints = webhookEndpoints;

/** `last_error` of the pending deliveries an endpoint loses when it is turned off. */
export const ENDPOINT_DISABLED_ERROR = 'endpoint disabled';

/**
 * The owner's endpoints the API may show. The legacy endpoint (made by the webhook worker from
 * `users.webhook_url`) stays out of reach: it follows that column, not the API.
 */
const ownedBy = (ownerId: string) =>
  and(eq(endpoints.ownerId, ownerId), eq(endpoints.legacy, false));

const owned = (ownerId: string, id: number) => and(eq(endpoints.id, id), ownedBy(ownerId));

export type NewEndpoint = Pick<WebhookEndpoint, 'url' | 'eventType'> & {
  description?: string | undefined;
};

/** The fields `PUT` changes; those left out stay as they are. */
export type EndpointPatch = Partial<
  Pick<WebhookEndpoint, 'url' | 'eventType' | 'description' | 'active'>
>;

/** A column's value while the endpoint is on, and null when the statement turns it back on. */
const clearedIfInactive = (column: SQLWrapper) =>
  sql`case when ${endpoints.active} then ${column} end`;

/**
 * Locks the caller's endpoint until the transaction ends, against a concurrent `PUT` that
 * would turn it off between the check of `active` and the write of a delivery, and answers
 * whether it is active; null when it is not the caller's.
 */
export async function lockEndpoint(
  tx: Database,
  ownerId: string,
  id: number,
): Promise<{ active: boolean } | null> {
  const [row] = await tx
    .select({ active: endpoints.active })
    .from(endpoints)
    .where(owned(ownerId, id))
    .for('share');
  return row ?? null;
}

/**
 * Fails the endpoint's deliveries still waiting for an attempt, so an endpoint turned off sends
 * nothing more; they can be resent once it is on again. Their coalescing key goes too: a
 * newer progress event must make a delivery of its own, not replace the message of a failed
 * one.
 */
async function failPendingDeliveries(tx: Database, endpointId: number): Promise<void> {
  await tx
    .update(webhookDeliveries)
    .set({ state: 'failed', lastError: ENDPOINT_DISABLED_ERROR, coalesceKey: null })
    .where(
      and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.state, 'pending')),
    );
}

/**
 * A user's webhook endpoints. Every method takes the owner's id: a missing, foreign or legacy
 * endpoint all answer null, so the routes cannot tell them apart either.
 */
export function createEndpointsRepository(db: Database) {
  return {
    /** Newest first: ids grow with creation, and webhook_endpoints_owner_idx keeps them. */
    async list(ownerId: string): Promise<EndpointRow[]> {
      return db
        .select(endpointViewColumns)
        .from(endpoints)
        .where(ownedBy(ownerId))
        .orderBy(desc(endpoints.id));
    },

    async find(ownerId: string, id: number): Promise<EndpointRow | null> {
      const [row] = await db.select(endpointViewColumns).from(endpoints).where(owned(ownerId, id));
      return row ?? null;
    },

    /** Registers an endpoint with a new secret, unless the owner already has `max`. */
    async create(
      ownerId: string,
      endpoint: NewEndpoint,
      max: number,
    ): Promise<{ row: EndpointRow; secret: string } | Refusal> {
      return db.transaction(async (tx) => {
        // One owner's creations take turns on the owner's row, so two of them can never both
        // count room for the last endpoint. NO KEY UPDATE rather than UPDATE: rows that only
        // reference the user (the worker's messages) are not held up meanwhile.
        await tx
          .select({ id: users.id })
          .from(users)
          .where(eq(users.id, ownerId))
          .for('no key update');
        const [existing] = await tx
          .select({ total: count() })
          .from(endpoints)
          .where(ownedBy(ownerId));
        if ((existing?.total ?? 0) >= max) return 'limit';
        const secret = generateSecret();
        const [row] = await tx
          .insert(endpoints)
          .values({ ...endpoint, ownerId, secret })
          .returning(endpointViewColumns);
        return { row: row!, secret };
      });
    },

    /**
     * Changes the given fields. `active: true` on an endpoint that is off turns it back on and
     * forgets why, when and since when it failed; on an endpoint that is on it changes nothing,
     * so it cannot reset the failing clock that disables a failing endpoint. An endpoint that
     * ends up off loses its pending deliveries in the same transaction.
     */
    async update(ownerId: string, id: number, patch: EndpointPatch): Promise<EndpointRow | null> {
      return db.transaction(async (tx) => {
        const reenable =
          patch.active === true
            ? {
                disabledReason: clearedIfInactive(endpoints.disabledReason),
                disabledAt: clearedIfInactive(endpoints.disabledAt),
                failingSince: clearedIfInactive(endpoints.failingSince),
              }
            : {};
        const [row] = await tx
          .update(endpoints)
          .set({ ...patch, ...reenable })
          .where(owned(ownerId, id))
          .returning(endpointViewColumns);
        if (!row) return null;
        if (!row.active) await failPendingDeliveries(tx, id);
        return row;
      });
    },

    /** Deletes the endpoint and, by cascade, its deliveries and their attempts. */
    async remove(ownerId: string, id: number): Promise<boolean> {
      const rows = await db
        .delete(endpoints)
        .where(owned(ownerId, id))
        .returning({ id: endpoints.id });
      return rows.length > 0;
    },

    /**
     * Replaces the secret. The old one becomes the previous secret, which the webhook worker
     * signs with as well until `graceHours` from now, so receivers can switch keys without
     * refusing a delivery; a second rotation within that time drops the oldest at once.
     */
    async rotateSecret(
      ownerId: string,
      id: number,
      graceHours: number,
    ): Promise<{ secret: string; previousSecretExpiresAt: Date } | null> {
      const secret = generateSecret();
      const [row] = await db
        .update(endpoints)
        .set({
          // The right-hand side reads the row as it was before this update.
          previousSecret: sql`${endpoints.secret}`,
          previousSecretExpiresAt: sql`now() + make_interval(hours => ${graceHours}::int)`,
          secret,
        })
        .where(owned(ownerId, id))
        .returning({ previousSecretExpiresAt: endpoints.previousSecretExpiresAt });
      return row ? { secret, previousSecretExpiresAt: row.previousSecretExpiresAt! } : null;
    },
  };
}

export type EndpointsRepository = ReturnType<typeof createEndpointsRepository>;
