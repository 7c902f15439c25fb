import { isQueueName, type QueueName } from '@conveyor/queue-contracts';
import { notFound } from '@conveyor/service-kit/errors';

/** The path's queue, or 404 `Queue not found` for one the platform does not have. */
export function knownQueue(name: string): QueueName {
  if (!isQueueName(name)) throw notFound('Queue');
  return name;
}
