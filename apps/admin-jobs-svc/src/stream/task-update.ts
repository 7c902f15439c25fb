import type { JobEventType } from '@conveyor/job-events/events';
import type { QueueJobEvent } from '@conveyor/job-events/hub';

/** The state a job is in after an event: `progress` happens while active, `added` means waiting. */
const stateAfter: Record<JobEventType, string> = {
  added: 'waiting',
  waiting: 'waiting',
  delayed: 'delayed',
  active: 'active',
  progress: 'active',
  completed: 'completed',
  failed: 'failed',
  removed: 'removed',
};

/** `task_update`'s data: one state change of one job, of any owner (the room is admins'). */
export interface TaskUpdate {
  id: string;
  queue: string;
  /** Null when the job was already gone from Redis when its event was read. */
  name: string | null;
  ownerId: string | null;
  /** The lifecycle event: `added`, `waiting`, `delayed`, `active`, `progress`, … */
  event: JobEventType;
  state: string;
  /** ISO 8601, when the event was written to the queue's stream. */
  timestamp: string;
  progress?: number | Record<string, unknown>;
  failedReason?: string;
}

export function taskUpdateOf(event: QueueJobEvent): TaskUpdate {
  return {
    id: event.jobId,
    queue: event.queue,
    name: event.name,
    ownerId: event.ownerId,
    event: event.type,
    state: stateAfter[event.type],
    timestamp: new Date(event.at).toISOString(),
    ...(event.progress === undefined ? {} : { progress: event.progress }),
    ...(event.failedReason === undefined ? {} : { failedReason: event.failedReason }),
  };
}
