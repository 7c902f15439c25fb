import { isQueueName, type QueueName } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import { notFound } from '@conveyor/service-kit/errors';
import type { Queue } from 'bullmq';

/**
 * The BullMQ queue a path names, or 404 `Queue not found`. Only the platform's queues are
 * reachable: a name from the path never opens a queue of its own, so a typo cannot leave an
 * empty queue (and its connection) behind.
 */
export function queueNamed(queues: Producer, name: string): { name: QueueName; queue: Queue } {
  if (!isQueueName(name)) throw notFound('Queue');
  return { name, queue: queues.queue(name) };
}
