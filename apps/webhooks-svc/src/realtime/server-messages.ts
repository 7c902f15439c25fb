import type { OwnedJobEvent } from '@conveyor/job-events/hub';
import type { UserEvent } from '@conveyor/job-events/user-events';

/** The three job outcomes spec 004 pushes; every other lifecycle event stays on the server. */
type JobEventName = 'progress' | 'completed' | 'failed';

/** `job:progress` and friends; `job:<jobId>:progress` and friends carry the same fields. */
export interface JobMessage {
  type: `job:${JobEventName}` | `job:${string}:${JobEventName}`;
  jobId: string;
  name: string;
  progress?: OwnedJobEvent['progress'];
  result?: OwnedJobEvent['result'];
  failedReason?: string;
  timestamp: OwnedJobEvent['at'];
}

export type ServerMessage =
  | { type: 'ready'; expiresAt: string }
  | { type: 'pong' }
  | { type: 'subscribed'; jobId: string }
  | { type: 'unsubscribed'; jobId: string }
  | { type: 'error'; message: string; jobId?: string }
  | JobMessage
  | { type: 'notification:new'; notificationId: string; title: string; unreadCount: number };

/**
 * The fields one job event is reported with, or `undefined` when spec 004 has no event for it.
 * A failure BullMQ will retry is no `job:failed`: the job is not finished, and a client that
 * took it for final would show a failure the next attempt may undo. It is simply not sent; the
 * retry's progress and its final outcome follow. (The REST job shows `attemptsMade`.)
 */
function outcomeOf(event: OwnedJobEvent): Omit<JobMessage, 'type'> | undefined {
  const common = { jobId: event.jobId, name: event.name, timestamp: event.at };
  switch (event.type) {
    case 'progress':
      return { ...common, progress: event.progress };
    case 'completed':
      return { ...common, result: event.result };
    case 'failed':
      return event.willRetry ? undefined : { ...common, failedReason: event.failedReason };
    default:
      return undefined;
  }
}

/**
 * The messages one job event becomes on a socket: the user-wide `job:<event>` always, and
 * `job:<jobId>:<event>` too when the socket subscribed to that job.
 */
export function jobMessages(event: OwnedJobEvent, subscribed: boolean): JobMessage[] {
  const outcome = outcomeOf(event);
  if (outcome === undefined) return [];
  const name = event.type as JobEventName;
  const messages: JobMessage[] = [{ type: `job:${name}`, ...outcome }];
  if (subscribed) messages.push({ type: `job:${event.jobId}:${name}`, ...outcome });
  return messages;
}

/** `notification:new` as pushed: the socket is the user's own, so `userId` stays behind. */
export function notificationMessage(event: UserEvent): ServerMessage {
  return {
    type: 'notification:new',
    notificationId: event.notificationId,
    title: event.title,
    unreadCount: event.unreadCount,
  };
}
