import { isQueueName, type QueueName } from '@conveyor/queue-contracts';

/**
 * The rooms of the admin stream (spec 003): `queues` hears `queue_stats` every 5 s, `tasks`
 * every job's `task_update`, `tasks:<queue>` one queue's, `batch` the `batch_progress` of bulk
 * actions and digest runs.
 */
export type Room = 'queues' | 'tasks' | `tasks:${QueueName}` | 'batch';

const fixedRooms: ReadonlySet<string> = new Set(['queues', 'tasks', 'batch']);

/** The room a client named, or undefined when no such room exists (an unknown queue, say). */
export function parseRoom(name: string): Room | undefined {
  if (fixedRooms.has(name)) return name as Room;
  if (!name.startsWith('tasks:')) return undefined;
  const queue = name.slice('tasks:'.length);
  return isQueueName(queue) ? `tasks:${queue}` : undefined;
}

/** The task rooms one queue's events go to. */
export const taskRoomsOf = (queue: QueueName): Room[] => ['tasks', `tasks:${queue}`];
