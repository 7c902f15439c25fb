import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { timestamps } from './columns.js';
import { users } from './users.js';

/**
 * Webhooks (spec 004): the endpoints users register, the events to send them (messages), one
 * delivery per message and endpoint with its retry state, and the log of every attempt.
 * Delivery follows the Standard Webhooks specification.
 */

/** Spec 004's event types an endpoint subscribes to. Never rename one without a migration. */
export const webhookEventType = pgEnum('webhook_event_type', [
  'progress',
  'completed',
  'failed',
  'all',
]);

export const webhookDeliveryState = pgEnum('webhook_delivery_state', [
  /** Waiting for `next_attempt_at`. */
  'pending',
  /** Claimed by a webhook-worker instance until `lease_until`. */
  'sending',
  'succeeded',
  /** Out of attempts, refused, or its endpoint was disabled. Resending makes it pending. */
  'failed',
]);

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    ownerId: text()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    url: text().notNull(),
    eventType: webhookEventType().notNull(),
    description: text(),
    active: boolean().notNull().default(true),
    /**
     * The endpoint standing for the user's legacy `users.webhook_url` (spec 004 "Migration"):
     * `completed` events only, kept in step with the column, never listed by the API.
     */
    legacy: boolean().notNull().default(false),
    /** `whsec_` and the base64 of the key. Shown once, at creation and rotation. */
    secret: text().notNull(),
    /** The secret before the last rotation; it signs beside `secret` until it expires. */
    previousSecret: text(),
    previousSecretExpiresAt: timestamp({ withTimezone: true, mode: 'date' }),
    /** Start of the current run of failed attempts; null after a success. */
    failingSince: timestamp({ withTimezone: true, mode: 'date' }),
    /** Why the platform turned the endpoint off (`gone`: it answered 410; `failing`). */
    disabledReason: text(),
    disabledAt: timestamp({ withTimezone: true, mode: 'date' }),
    ...timestamps,
  },
  (table) => [
    index('webhook_endpoints_owner_idx').on(table.ownerId, table.id),
    uniqueIndex('webhook_endpoints_legacy_owner_key')
      .on(table.ownerId)
      .where(sql`${table.legacy}`),
  ],
);

/** One event to send: the exact bytes that are signed, kept for retries and resends. */
export const webhookMessages = pgTable(
  'webhook_messages',
  {
    /** The `webhook-id` header: `msg_…`, derived from the job event so replays reuse it. */
    id: text().primaryKey(),
    ownerId: text()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** `progress`, `completed`, `failed`, or `test` for `POST /api/webhooks/:id/test`. */
    eventType: text().notNull(),
    queue: text(),
    jobId: text(),
    body: text().notNull(),
    createdAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [index('webhook_messages_created_idx').on(table.createdAt)],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    messageId: text()
      .notNull()
      .references(() => webhookMessages.id, { onDelete: 'cascade' }),
    endpointId: bigint({ mode: 'number' })
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    state: webhookDeliveryState().notNull().default('pending'),
    /** Attempts made in all; numbers the attempts in the log. */
    attemptCount: integer().notNull().default(0),
    /** Attempts made since the delivery was created or last resent, against the retry budget. */
    runAttempts: integer().notNull().default(0),
    nextAttemptAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    claimedBy: text(),
    leaseUntil: timestamp({ withTimezone: true, mode: 'date' }),
    /**
     * `queue/jobId` while a progress delivery has not been attempted: a newer progress event of
     * the job replaces its message instead of queueing another request (progress coalescing).
     */
    coalesceKey: text(),
    lastStatus: integer(),
    lastError: text(),
    ...timestamps,
  },
  (table) => [
    unique('webhook_deliveries_message_endpoint_key').on(table.messageId, table.endpointId),
    uniqueIndex('webhook_deliveries_coalesce_key')
      .on(table.endpointId, table.coalesceKey)
      .where(sql`${table.coalesceKey} is not null`),
    index('webhook_deliveries_due_idx')
      .on(table.nextAttemptAt)
      .where(sql`${table.state} = 'pending'`),
    index('webhook_deliveries_lease_idx')
      .on(table.leaseUntil)
      .where(sql`${table.state} = 'sending'`),
    index('webhook_deliveries_endpoint_idx').on(table.endpointId, table.id.desc()),
  ],
);

/** Every attempt of every delivery: what was sent when, and what came back. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: bigint({ mode: 'number' })
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    /** 1 for the first attempt of the delivery, counting on across resends. */
    attemptNumber: integer().notNull(),
    requestedAt: timestamp({ withTimezone: true, mode: 'date' }).notNull(),
    /** The response's status; null when none came (see `errorClass`). */
    statusCode: integer(),
    /** `timeout`, `connection`, `address_refused`, `invalid_url`, `redirect`, `http_status`. */
    errorClass: text(),
    durationMs: integer().notNull(),
    /** The first bytes of the response body, capped. */
    responseBody: text(),
    /** When the next attempt is due; null when this one ended the delivery. */
    nextAttemptAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (table) => [index('webhook_attempts_delivery_idx').on(table.deliveryId, table.attemptNumber)],
);

export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;
export type NewWebhookEndpoint = typeof webhookEndpoints.$inferInsert;
export type WebhookMessage = typeof webhookMessages.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type WebhookAttempt = typeof webhookAttempts.$inferSelect;
