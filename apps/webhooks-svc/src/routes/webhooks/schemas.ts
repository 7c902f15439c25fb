import { z } from 'zod';
import { successOf } from '../../schemas/envelope.js';
import { pageQueryShape } from '../../schemas/pagination.js';
import { MAX_ATTEMPTS_SHOWN } from '../../webhooks/deliveries-repository.js';

/** The OpenAPI tag of every /api/webhooks route: the service's name, as the gateway tags it. */
export const tags = ['webhooks'];

/** Ours: spec 004 bounds neither. */
const MAX_URL_LENGTH = 2000;
const MAX_DESCRIPTION_LENGTH = 500;

const isoTimestamp = z.iso.datetime().describe('ISO 8601');

const EventTypeSchema = z
  .enum(['progress', 'completed', 'failed', 'all'])
  .describe('The job events sent to it: `progress`, `completed`, `failed`, or `all` of them');

const UrlSchema = z
  .url()
  .max(MAX_URL_LENGTH)
  .describe(
    '`https:` (and `http:` where `WEBHOOK_ALLOW_HTTP` allows, by default everywhere but ' +
      'production), without credentials, whose host resolves to public addresses only',
  );

const DescriptionSchema = z.string().max(MAX_DESCRIPTION_LENGTH);

const SecretSchema = z
  .string()
  .describe('`whsec_` and the base64 of a 32-byte key (Standard Webhooks); shown only here');

/**
 * Path ids are any string on purpose: a malformed id must answer 404 like a missing or foreign
 * one, never a 400 that tells them apart.
 */
export const WebhookParamsSchema = z.object({
  id: z.string().describe('The webhook id (a positive integer)'),
});

export const DeliveryParamsSchema = WebhookParamsSchema.extend({
  deliveryId: z.string().describe('The delivery id (a positive integer)'),
});

/** Spec 004 "List Webhooks", and why and since when the platform found it failing. */
export const WebhookSchema = z.object({
  id: z.number().int(),
  url: z.string(),
  eventType: EventTypeSchema,
  description: z.string().nullable(),
  active: z.boolean().describe('Whether events are sent to it'),
  disabledReason: z
    .enum(['gone', 'failing'])
    .nullable()
    .describe(
      'Why the platform turned it off: `gone` (it answered 410) or `failing` (no success ' +
        'for too long); null while it is on, or when its owner turned it off',
    ),
  failingSince: isoTimestamp
    .nullable()
    .describe('Start of its current run of failed deliveries; null after a success'),
  createdAt: isoTimestamp,
  updatedAt: isoTimestamp,
});

export const ListResponseSchema = successOf(z.object({ webhooks: z.array(WebhookSchema) }));

export const WebhookResponseSchema = successOf(WebhookSchema);

/** Spec 004 "Create Webhook". Unknown fields are refused: a typo must not pass unnoticed. */
export const CreateBodySchema = z.strictObject({
  url: UrlSchema,
  eventType: EventTypeSchema,
  description: DescriptionSchema.optional(),
});

export const CreateResponseSchema = successOf(
  z.object({ webhook: WebhookSchema, secret: SecretSchema }),
);

/** Spec 004 "Update Webhook": any of its fields; those left out stay as they are. */
export const UpdateBodySchema = z
  .strictObject({
    url: UrlSchema.optional(),
    eventType: EventTypeSchema.optional(),
    description: DescriptionSchema.nullable().optional().describe('null removes it'),
    active: z
      .boolean()
      .optional()
      .describe(
        '`false` stops sending (its pending deliveries fail with `endpoint disabled`); ' +
          '`true` turns a webhook that is off back on, whoever turned it off',
      ),
  })
  .refine((body) => Object.keys(body).length > 0, {
    error: 'must change at least one of url, eventType, description, active',
  });

export const DeleteResponseSchema = z.object({ success: z.literal(true) });

export const RotateResponseSchema = successOf(
  z.object({
    secret: SecretSchema,
    previousSecretExpiresAt: isoTimestamp.describe(
      'Until then the previous secret signs too (a second `webhook-signature`)',
    ),
  }),
);

export const TestResponseSchema = successOf(
  z.object({
    deliveryId: z.number().int().describe('The delivery, as listed under its webhook'),
    webhookId: z.string().describe('The message’s `webhook-id` header'),
  }),
);

const DeliveryStateSchema = z
  .enum(['pending', 'sending', 'succeeded', 'failed'])
  .describe(
    '`pending` (waiting for `nextAttemptAt`), `sending`, `succeeded`, or `failed` (out of ' +
      'attempts, refused, or its webhook was turned off)',
  );

/** Unknown parameters are ignored rather than refused, so a cache-buster breaks nothing. */
export const DeliveriesQuerySchema = z.object({
  ...pageQueryShape('Deliveries', { defaultLimit: 20, max: 100 }),
  state: DeliveryStateSchema.optional().describe('Only deliveries in this state'),
});

const AttemptSchema = z.object({
  attemptNumber: z.number().int().describe('From 1, counting on across resends'),
  requestedAt: isoTimestamp,
  statusCode: z.number().int().nullable().describe('The response’s status; null when none came'),
  errorClass: z
    .string()
    .nullable()
    .describe(
      'Why it failed: `timeout`, `connection`, `address_refused`, `invalid_url`, `redirect` ' +
        'or `http_status`; null on success',
    ),
  durationMs: z.number().int(),
  responseBody: z.string().nullable().describe('The first bytes of the response body'),
  nextAttemptAt: isoTimestamp
    .nullable()
    .describe('When the retry it caused was due; null when it ended the delivery'),
});

export const DeliverySchema = z.object({
  id: z.number().int(),
  webhookId: z.string().describe('The message’s `webhook-id` header, the same on every attempt'),
  eventType: z.enum(['progress', 'completed', 'failed', 'test']),
  jobId: z.string().nullable().describe('The job the event is about; null for a test'),
  state: DeliveryStateSchema,
  attemptCount: z.number().int().describe('Attempts made in all, resends included'),
  nextAttemptAt: isoTimestamp.nullable().describe('When it is due; null unless `pending`'),
  lastStatus: z.number().int().nullable().describe('The last response’s status'),
  lastError: z.string().nullable(),
  createdAt: isoTimestamp,
  updatedAt: isoTimestamp,
  attempts: z
    .array(AttemptSchema)
    .describe(`The last ${MAX_ATTEMPTS_SHOWN} attempts at most, oldest first`),
});

export const DeliveriesResponseSchema = successOf(
  z.object({
    deliveries: z.array(DeliverySchema),
    pagination: z.object({
      total: z.number().int().describe('Deliveries matching the filter'),
      page: z.number().int(),
      limit: z.number().int(),
      pages: z.number().int(),
    }),
  }),
);

export const DeliveryResponseSchema = successOf(DeliverySchema);
