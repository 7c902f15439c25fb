import { webhookEndpoints, type WebhookEndpoint } from '@conveyor/db/schema';

/** Why the platform turned an endpoint off; null when it is on or its owner turned it off. */
export type DisabledReason = 'gone' | 'failing';

/**
 * The columns an endpoint's view reads: never the secrets, which leave the service only in the
 * answers of creation and rotation.
 */
export const endpointViewColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  eventType: webhookEndpoints.eventType,
  description: webhookEndpoints.description,
  active: webhookEndpoints.active,
  disabledReason: webhookEndpoints.disabledReason,
  failingSince: webhookEndpoints.failingSince,
  createdAt: webhookEndpoints.createdAt,
  updatedAt: webhookEndpoints.updatedAt,
};

export type EndpointRow = Pick<WebhookEndpoint, keyof typeof endpointViewColumns>;

/** Spec 004's webhook, plus why and since when the platform found it failing. */
export interface WebhookView {
  id: number;
  url: string;
  eventType: EndpointRow['eventType'];
  description: string | null;
  active: boolean;
  disabledReason: DisabledReason | null;
  failingSince: string | null;
  createdAt: string;
  updatedAt: string;
}

// The column is text written by the webhook worker; the API promises these two values only.
const disabledReasonOf = (reason: string | null): DisabledReason | null =>
  reason === 'gone' || reason === 'failing' ? reason : null;

export function toWebhookView(row: EndpointRow): WebhookView {
  return {
    id: row.id,
    url: row.url,
    eventType: row.eventType,
    description: row.description,
    active: row.active,
    disabledReason: disabledReasonOf(row.disabledReason),
    failingSince: row.failingSince?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
