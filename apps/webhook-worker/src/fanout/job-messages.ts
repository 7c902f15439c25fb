import type { JobEvent } from '@conveyor/job-events/events';
import {
  jobMessage,
  type JobWebhookEventType,
  type OutgoingMessage,
} from '@conveyor/webhooks/messages';
import type { JobOwner } from './job-owners.js';

/** A job event of a type webhooks carry. */
export type WebhookJobEvent = JobEvent & { type: JobWebhookEventType };

const webhookTypes = new Set<string>([
  'progress',
  'completed',
  'failed',
] satisfies JobWebhookEventType[]);

/** Spec 004's webhook events are a job's progress and its end; its other states are not sent. */
export function isWebhookEvent(event: JobEvent): event is WebhookJobEvent {
  return webhookTypes.has(event.type);
}

/** The spec 004 message of one event, its `webhook-id` derived from the event's stream entry. */
export function toJobMessage(event: WebhookJobEvent, owner: JobOwner): OutgoingMessage {
  return jobMessage({
    queue: event.queue,
    jobId: event.jobId,
    name: owner.name,
    ownerId: owner.ownerId,
    streamId: event.streamId,
    type: event.type,
    progress: event.progress,
    result: event.result,
    error: event.failedReason,
  });
}
