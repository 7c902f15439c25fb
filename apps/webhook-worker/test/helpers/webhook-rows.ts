import { randomUUID } from 'node:crypto';
import type { Database } from '@conveyor/db/client';
import {
  notifications,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
  webhookMessages,
  type NewWebhookEndpoint,
  type WebhookDelivery,
} from '@conveyor/db/schema';
import { generateSecret } from '@conveyor/webhooks/secrets';
import { asc, eq } from 'drizzle-orm';

/** Webhook rows written straight to SQL, as the API and the fan-out would leave them. */

export { createUser } from '@conveyor/notifications/testing';

/** Columns of an endpoint row; the rest take their defaults. */
export type EndpointFixture = Partial<NewWebhookEndpoint> & { ownerId: string; url: string };

/** An active endpoint for every event type, with a fresh secret unless given. */
export async function createEndpoint(db: Database, fixture: EndpointFixture) {
  const [row] = await db
    .insert(webhookEndpoints)
    .values({ eventType: 'all', secret: generateSecret(), ...fixture })
    .returning();
  return row!;
}

export interface DeliveryFixture {
  endpoint: { id: number; ownerId: string };
  /** @defaultValue a spec 004 completed event */
  body?: string;
  messageId?: string;
  state?: WebhookDelivery['state'];
  nextAttemptAt?: Date;
  claimedBy?: string;
  leaseUntil?: Date;
  coalesceKey?: string;
}

/** A message and its delivery to one endpoint, due now unless told otherwise. */
export async function createDelivery(db: Database, fixture: DeliveryFixture) {
  const messageId = fixture.messageId ?? `msg_${randomUUID().replaceAll('-', '')}`;
  const body =
    fixture.body ??
    JSON.stringify({
      id: randomUUID(),
      jobname: 'render',
      userId: fixture.endpoint.ownerId,
      result: { pages: 3 },
      eventType: 'completed',
    });
  await db.insert(webhookMessages).values({
    id: messageId,
    ownerId: fixture.endpoint.ownerId,
    eventType: 'completed',
    body,
  });
  const [delivery] = await db
    .insert(webhookDeliveries)
    .values({
      messageId,
      endpointId: fixture.endpoint.id,
      ...(fixture.state ? { state: fixture.state } : {}),
      ...(fixture.nextAttemptAt ? { nextAttemptAt: fixture.nextAttemptAt } : {}),
      ...(fixture.claimedBy ? { claimedBy: fixture.claimedBy } : {}),
      ...(fixture.leaseUntil ? { leaseUntil: fixture.leaseUntil } : {}),
      ...(fixture.coalesceKey ? { coalesceKey: fixture.coalesceKey } : {}),
    })
    .returning({ id: webhookDeliveries.id });
  return { id: delivery!.id, messageId, body };
}

/** `count` deliveries to one endpoint, in one statement per table. */
export async function createDeliveries(
  db: Database,
  endpoint: { id: number; ownerId: string },
  count: number,
) {
  if (count === 0) return [];
  const messages = Array.from({ length: count }, (_, index) => ({
    id: `msg_${randomUUID().replaceAll('-', '')}`,
    ownerId: endpoint.ownerId,
    eventType: 'completed',
    body: JSON.stringify({ id: String(index), jobname: 'bulk', userId: endpoint.ownerId }),
  }));
  await db.insert(webhookMessages).values(messages);
  return db
    .insert(webhookDeliveries)
    .values(messages.map((message) => ({ messageId: message.id, endpointId: endpoint.id })))
    .returning({ id: webhookDeliveries.id, messageId: webhookDeliveries.messageId });
}

export async function deliveryRow(db: Database, id: number) {
  const [row] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
  return row!;
}

/** The attempt log of a delivery, first attempt first. */
export async function attemptsOf(db: Database, deliveryId: number) {
  return db
    .select()
    .from(webhookAttempts)
    .where(eq(webhookAttempts.deliveryId, deliveryId))
    .orderBy(asc(webhookAttempts.attemptNumber));
}

export async function endpointRow(db: Database, id: number) {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  return row!;
}

/** The in-app notifications of a user. */
export async function notificationsOf(db: Database, userId: string) {
  return db.select().from(notifications).where(eq(notifications.userId, userId));
}
