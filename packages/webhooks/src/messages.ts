import { createHash, randomBytes } from 'node:crypto';

/** Spec 004's job event types, the ones webhooks carry. */
export type JobWebhookEventType = 'progress' | 'completed' | 'failed';

/** What a message tells about one event of one job. */
export interface JobWebhookEvent {
  queue: string;
  jobId: string;
  /** The job's name (spec 004's `jobname`). */
  name: string;
  ownerId: string;
  /** Where the event sits in its queue's event stream: with the job, it names the event. */
  streamId: string;
  type: JobWebhookEventType;
  progress?: unknown;
  result?: unknown;
  error?: string;
}

/** A message ready to store: its `webhook-id` and the exact bytes that will be signed. */
export interface OutgoingMessage {
  id: string;
  ownerId: string;
  eventType: JobWebhookEventType | 'test';
  queue: string | null;
  jobId: string | null;
  body: string;
}

const MESSAGE_ID_PREFIX = 'msg_';

/**
 * The `webhook-id` of a job event: derived from the event's place in its stream, so reading the
 * same event again (after a crash before it was acknowledged) names the same message and
 * sends nothing twice.
 */
export function jobMessageId(queue: string, streamId: string, jobId: string): string {
  const digest = createHash('sha256').update(`${queue}\u0000${streamId}\u0000${jobId}`).digest();
  return `${MESSAGE_ID_PREFIX}${digest.subarray(0, 18).toString('base64url')}`;
}

/** Spec 004's payload, keys in the spec's order; `JSON.stringify` drops an absent `result`. */
function jobPayload(event: JobWebhookEvent): Record<string, unknown> {
  const head = { id: event.jobId, jobname: event.name, userId: event.ownerId };
  switch (event.type) {
    case 'progress':
      return { ...head, progress: event.progress ?? 0, eventType: event.type };
    case 'completed':
      return { ...head, result: event.result ?? null, eventType: event.type };
    case 'failed':
      return { ...head, error: event.error ?? '', eventType: event.type };
  }
}

export function jobMessage(event: JobWebhookEvent): OutgoingMessage {
  return {
    id: jobMessageId(event.queue, event.streamId, event.jobId),
    ownerId: event.ownerId,
    eventType: event.type,
    queue: event.queue,
    jobId: event.jobId,
    body: JSON.stringify(jobPayload(event)),
  };
}

/**
 * The message of `POST /api/webhooks/:id/test`: spec 004's shape with `eventType` `test`, so a
 * receiver can tell it from a job's event and still parse it.
 */
export function testMessage(ownerId: string, now: Date = new Date()): OutgoingMessage {
  const id = `${MESSAGE_ID_PREFIX}${randomBytes(18).toString('base64url')}`;
  return {
    id,
    ownerId,
    eventType: 'test',
    queue: null,
    jobId: null,
    body: JSON.stringify({
      id,
      jobname: 'webhook.test',
      userId: ownerId,
      eventType: 'test',
      sentAt: now.toISOString(),
    }),
  };
}
