import { errorResponsesOf } from '@conveyor/service-kit/envelope';
import { HttpError, notFound } from '@conveyor/service-kit/errors';
import type { Refusal } from '../../webhooks/refusal.js';

/** The error of each refusal of the webhook repositories, with its status and text. */
const refusals: Record<Refusal, () => HttpError> = {
  'no-webhook': () => notFound('Webhook'),
  'no-delivery': () => notFound('Delivery'),
  limit: () => new HttpError(409, 'Webhook limit reached'),
  disabled: () => new HttpError(409, 'Webhook is disabled'),
  'in-progress': () => new HttpError(409, 'Delivery in progress'),
};

export function refuse(refusal: Refusal): never {
  throw refusals[refusal]();
}

/** The error statuses of the webhooks API, with their texts, for the OpenAPI document. */
export const errorResponses = errorResponsesOf({
  400: '`Invalid query parameters` or `Invalid request body`; `details` lists each issue, a refused URL as an issue of `url` that says why',
  401: '`Unauthorized`: no valid token',
  404: '`Webhook not found` or `Delivery not found`; a malformed or another user’s id answers exactly like a missing one',
  409: '`Webhook limit reached` (creating past `WEBHOOK_MAX_ENDPOINTS_PER_USER`), `Webhook is disabled` (sending to an inactive webhook) or `Delivery in progress` (resending a pending or sending delivery)',
  500: '`Internal server error`',
  503: '`Service temporarily unavailable`: Redis or PostgreSQL is down; retry',
});
