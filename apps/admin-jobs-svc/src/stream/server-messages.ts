import type { SessionFrame } from '@conveyor/realtime/session';
import type { BatchView } from '../batches/batch-view.js';
import type { QueueStats } from '../queues/queue-stats.js';
import type { TaskUpdate } from './task-update.js';

/**
 * What the admin stream sends, spec 003's `{ type, data }` for the three room events. Each is
 * also a REST read: `GET /api/admin/jobs/queues`, `GET /api/admin/jobs/jobs` (and a job's
 * detail), `GET /api/admin/jobs/batches/:batchId`.
 */
export type StreamMessage =
  | SessionFrame
  | { type: 'subscribed'; room: string }
  | { type: 'unsubscribed'; room: string }
  | { type: 'error'; message: string; room: string }
  | { type: 'queue_stats'; data: { queues: QueueStats[]; at: string } }
  | { type: 'task_update'; data: TaskUpdate }
  | { type: 'batch_progress'; data: BatchView };

/** A socket in rooms: where a room's messages go. */
export interface RoomMember {
  send(message: StreamMessage): void;
}
