import {
  webhookAttempts,
  webhookDeliveries,
  webhookMessages,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookMessage,
} from '@conveyor/db/schema';

/** A delivery's columns, with its message's `webhook-id`, event type and job. */
export const deliveryViewColumns = {
  id: webhookDeliveries.id,
  webhookId: webhookDeliveries.messageId,
  eventType: webhookMessages.eventType,
  jobId: webhookMessages.jobId,
  state: webhookDeliveries.state,
  attemptCount: webhookDeliveries.attemptCount,
  nextAttemptAt: webhookDeliveries.nextAttemptAt,
  lastStatus: webhookDeliveries.lastStatus,
  lastError: webhookDeliveries.lastError,
  createdAt: webhookDeliveries.createdAt,
  updatedAt: webhookDeliveries.updatedAt,
};

export const attemptViewColumns = {
  deliveryId: webhookAttempts.deliveryId,
  attemptNumber: webhookAttempts.attemptNumber,
  requestedAt: webhookAttempts.requestedAt,
  statusCode: webhookAttempts.statusCode,
  errorClass: webhookAttempts.errorClass,
  durationMs: webhookAttempts.durationMs,
  responseBody: webhookAttempts.responseBody,
  nextAttemptAt: webhookAttempts.nextAttemptAt,
};

export type DeliveryRow = Pick<
  WebhookDelivery,
  | 'id'
  | 'state'
  | 'attemptCount'
  | 'nextAttemptAt'
  | 'lastStatus'
  | 'lastError'
  | 'createdAt'
  | 'updatedAt'
> &
  Pick<WebhookMessage, 'eventType' | 'jobId'> & { webhookId: string };

export type AttemptRow = Pick<WebhookAttempt, keyof typeof attemptViewColumns>;

export type DeliveryEventType = 'progress' | 'completed' | 'failed' | 'test';

export interface AttemptView {
  attemptNumber: number;
  requestedAt: string;
  statusCode: number | null;
  errorClass: string | null;
  durationMs: number;
  responseBody: string | null;
  nextAttemptAt: string | null;
}

export interface DeliveryView {
  id: number;
  webhookId: string;
  eventType: DeliveryEventType;
  jobId: string | null;
  state: DeliveryRow['state'];
  attemptCount: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  attempts: AttemptView[];
}

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

function toAttemptView(row: AttemptRow): AttemptView {
  return {
    attemptNumber: row.attemptNumber,
    requestedAt: row.requestedAt.toISOString(),
    statusCode: row.statusCode,
    errorClass: row.errorClass,
    durationMs: row.durationMs,
    responseBody: row.responseBody,
    nextAttemptAt: iso(row.nextAttemptAt),
  };
}

/**
 * A delivery with its attempts (in `attemptNumber` order). `next_attempt_at` means something
 * only while the delivery waits for it, so it shows null in every other state.
 */
export function toDeliveryView(row: DeliveryRow, attempts: readonly AttemptRow[]): DeliveryView {
  return {
    id: row.id,
    webhookId: row.webhookId,
    // Written by @conveyor/webhooks' enqueue, which only stores these four.
    eventType: row.eventType as DeliveryEventType,
    jobId: row.jobId,
    state: row.state,
    attemptCount: row.attemptCount,
    nextAttemptAt: row.state === 'pending' ? row.nextAttemptAt.toISOString() : null,
    lastStatus: row.lastStatus,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    attempts: attempts.map(toAttemptView),
  };
}
