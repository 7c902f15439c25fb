import type { QueueName } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import { listPresence } from '@conveyor/worker-kit/presence-reader';
import type { Redis } from 'ioredis';
import { queueCounts, waitingTotal } from '../queues/queue-stats.js';
import { groupsFor } from './groups.js';
import { judgeHealth, type QueueState, type WorkersHealth } from './verdict.js';

export interface HealthSource {
  redis: Redis;
  /** The BullMQ prefix the workers register under. */
  prefix: string;
  queues: Producer;
  stallMs: number;
}

async function queueState(source: HealthSource, name: QueueName): Promise<QueueState> {
  const queue = source.queues.queue(name);
  const [counts, paused, schedulers] = await Promise.all([
    queueCounts(queue),
    queue.isPaused(),
    queue.getJobSchedulersCount(),
  ]);
  return { waiting: waitingTotal(counts), paused, schedulers };
}

/** The workers' health as spec 002's `/health` reports it, from presence and the queues. */
export async function readWorkersHealth(source: HealthSource): Promise<WorkersHealth> {
  const instances = await listPresence(source.redis, source.prefix);
  const groups = groupsFor(instances);
  const names = [...new Set(groups.flatMap((group) => group.queues))];
  const states = await Promise.all(
    names.map(async (name) => [name, await queueState(source, name)] as const),
  );
  return judgeHealth({
    groups,
    instances,
    queues: new Map(states),
    stallMs: source.stallMs,
    now: Date.now(),
  });
}
