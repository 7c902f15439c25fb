import { randomUUID } from 'node:crypto';
import {
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
  webhookMessages,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '@conveyor/db/schema';
import { generateSecret } from '@conveyor/webhooks/secrets';
import { eq } from 'drizzle-orm';
import { as, seedUsers, type App, type TestApp } from './app.js';

/**
 * A public address written as an IP literal: the SSRF check accepts it without asking DNS, so
 * the tests need no network. Nothing is ever sent to it (no webhook worker runs here).
 */
export const PUBLIC_URL = 'https://93.184.216.34/hook';

/** A Standard Webhooks secret: `whsec_` and the base64 of 32 bytes. */
export const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{43}=$/;

export interface WebhookBody {
  id: number;
  url: string;
  eventType: 'progress' | 'completed' | 'failed' | 'all';
  description: string | null;
  active: boolean;
  disabledReason: 'gone' | 'failing' | null;
  failingSince: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AttemptBody {
  attemptNumber: number;
  requestedAt: string;
  statusCode: number | null;
  errorClass: string | null;
  durationMs: number;
  responseBody: string | null;
  nextAttemptAt: string | null;
}

export interface DeliveryBody {
  id: number;
  webhookId: string;
  eventType: string;
  jobId: string | null;
  state: WebhookDelivery['state'];
  attemptCount: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  attempts: AttemptBody[];
}

export interface DeliveriesBody {
  success: true;
  data: {
    deliveries: DeliveryBody[];
    pagination: { total: number; page: number; limit: number; pages: number };
  };
}

/** Registers a webhook through the API as `sub` and answers it with its secret. */
export async function createWebhook(
  app: App,
  sub: string,
  body: Record<string, unknown> = {},
): Promise<{ webhook: WebhookBody; secret: string }> {
  const response = await as(app, sub).post('/api/webhooks', {
    url: PUBLIC_URL,
    eventType: 'all',
    ...body,
  });
  if (response.statusCode !== 201) throw new Error(`create answered ${response.body}`);
  return response.json<{ data: { webhook: WebhookBody; secret: string } }>().data;
}

/** The endpoint's row as stored, secrets included. */
export async function endpointRow(t: TestApp, id: number): Promise<WebhookEndpoint | undefined> {
  const [row] = await t.deps.db.db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.id, id));
  return row;
}

/** An endpoint written directly, as the webhook worker writes the legacy one. */
export async function seedEndpoint(
  t: TestApp,
  ownerId: string,
  row: Partial<typeof webhookEndpoints.$inferInsert> = {},
): Promise<number> {
  await seedUsers(t.deps, ownerId);
  const [inserted] = await t.deps.db.db
    .insert(webhookEndpoints)
    .values({ url: PUBLIC_URL, eventType: 'all', secret: generateSecret(), ...row, ownerId })
    .returning({ id: webhookEndpoints.id });
  return inserted!.id;
}

export interface DeliverySeed {
  state?: WebhookDelivery['state'];
  eventType?: string;
  jobId?: string | null;
  createdAt?: Date;
  lastStatus?: number | null;
  lastError?: string | null;
  runAttempts?: number;
  claimedBy?: string | null;
  leaseUntil?: Date | null;
  coalesceKey?: string | null;
  /** Attempts logged, numbered from 1. */
  attempts?: number;
}

/** A message and its delivery to `endpointId`, with `attempts` logged: what the worker writes. */
export async function seedDelivery(
  t: TestApp,
  ownerId: string,
  endpointId: number,
  seed: DeliverySeed = {},
): Promise<{ id: number; messageId: string }> {
  const db = t.deps.db.db;
  const messageId = `msg_${randomUUID()}`;
  const eventType = seed.eventType ?? 'completed';
  const jobId = seed.jobId === undefined ? randomUUID() : seed.jobId;
  await db.insert(webhookMessages).values({
    id: messageId,
    ownerId,
    eventType,
    queue: jobId === null ? null : 'media-preview',
    jobId,
    body: JSON.stringify({ id: jobId, eventType }),
  });
  const attempts = seed.attempts ?? 0;
  const [delivery] = await db
    .insert(webhookDeliveries)
    .values({
      messageId,
      endpointId,
      state: seed.state ?? 'pending',
      attemptCount: attempts,
      runAttempts: seed.runAttempts ?? attempts,
      lastStatus: seed.lastStatus ?? null,
      lastError: seed.lastError ?? null,
      claimedBy: seed.claimedBy ?? null,
      leaseUntil: seed.leaseUntil ?? null,
      coalesceKey: seed.coalesceKey ?? null,
      ...(seed.createdAt ? { createdAt: seed.createdAt } : {}),
    })
    .returning({ id: webhookDeliveries.id });
  if (attempts > 0) {
    await db.insert(webhookAttempts).values(
      Array.from({ length: attempts }, (_, index) => ({
        deliveryId: delivery!.id,
        attemptNumber: index + 1,
        requestedAt: new Date(Date.UTC(2025, 0, 1, 0, index)),
        statusCode: 500,
        errorClass: 'http_status',
        durationMs: 10 + index,
        responseBody: `failure ${index + 1}`,
        nextAttemptAt: index + 1 < attempts ? new Date(Date.UTC(2025, 0, 1, 0, index + 1)) : null,
      })),
    );
  }
  return { id: delivery!.id, messageId };
}

/** The delivery's row as stored. */
export async function deliveryRow(t: TestApp, id: number): Promise<WebhookDelivery | undefined> {
  const [row] = await t.deps.db.db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.id, id));
  return row;
}
