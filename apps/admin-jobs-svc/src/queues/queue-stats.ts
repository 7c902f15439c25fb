import type { Database } from '@conveyor/db/client';
import type { QueueName } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { Queue } from 'bullmq';
import { emptyLastHour, finishedLastHour, type LastHour } from './throughput.js';

/** Job counts by BullMQ state, as BullMQ keeps them. */
export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  prioritized: number;
  /** Jobs waiting in a paused queue: BullMQ moves its wait list aside until it resumes. */
  paused: number;
  waitingChildren: number;
  completed: number;
  failed: number;
}

export interface QueueStats {
  name: QueueName;
  paused: boolean;
  counts: QueueCounts;
  lastHour: LastHour;
  /** How long the oldest job waiting in line has waited, in ms; null when none waits. */
  oldestWaitingMs: number | null;
}

/**
 * Jobs waiting to run in any form: in line, in a paused queue's list, or by priority. The
 * notification stats' `waiting` (spec 002) is this sum.
 */
export const waitingTotal = (counts: Pick<QueueCounts, 'waiting' | 'paused' | 'prioritized'>) =>
  counts.waiting + counts.paused + counts.prioritized;

export async function queueCounts(queue: Queue): Promise<QueueCounts> {
  const counts = await queue.getJobCounts(
    'waiting',
    'active',
    'delayed',
    'prioritized',
    'paused',
    'waiting-children',
    'completed',
    'failed',
  );
  const count = (state: string) => counts[state] ?? 0;
  return {
    waiting: count('waiting'),
    active: count('active'),
    delayed: count('delayed'),
    prioritized: count('prioritized'),
    paused: count('paused'),
    waitingChildren: count('waiting-children'),
    completed: count('completed'),
    failed: count('failed'),
  };
}

/**
 * The age of the job at the head of the line. The wait list is FIFO, so its oldest job is its
 * tail: one range read and one job read, whatever the queue's length. A delayed job only
 * starts waiting when its delay ends, so that is when its wait is counted from. Prioritized
 * jobs are ordered by priority, not age, and are left out.
 */
async function oldestWaitingMs(queue: Queue, now: number): Promise<number | null> {
  const ids = await queue.getRanges(['wait', 'paused'], 0, 0, true);
  const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
  const since = jobs
    .filter((job) => job !== undefined)
    .map((job) => job.timestamp + (job.delay ?? 0));
  return since.length === 0 ? null : Math.max(0, now - Math.min(...since));
}

/** Stats of the queues named, in their order: BullMQ's counts and the registry's last hour. */
export async function queueStats(
  queues: Producer,
  db: Database,
  names: readonly QueueName[],
): Promise<QueueStats[]> {
  const now = Date.now();
  const [lastHour, live] = await Promise.all([
    finishedLastHour(db, names),
    Promise.all(
      names.map(async (name) => {
        const queue = queues.queue(name);
        const [counts, paused, oldest] = await Promise.all([
          queueCounts(queue),
          queue.isPaused(),
          oldestWaitingMs(queue, now),
        ]);
        return { name, paused, counts, oldestWaitingMs: oldest };
      }),
    ),
  ]);
  return live.map((stats) => ({
    ...stats,
    lastHour: lastHour.get(stats.name) ?? emptyLastHour(),
  }));
}
