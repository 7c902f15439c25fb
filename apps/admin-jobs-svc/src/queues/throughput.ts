import type { Database } from '@conveyor/db/client';
import { jobRuns } from '@conveyor/db/schema';
import { and, gte, inArray, sql } from 'drizzle-orm';

/** Jobs of one queue that finished in the last hour, and the same as rates per minute. */
export interface LastHour {
  completed: number;
  failed: number;
  completedPerMinute: number;
  failedPerMinute: number;
}

const perMinute = (count: number) => Math.round((count / 60) * 100) / 100;

export const emptyLastHour = (): LastHour => ({
  completed: 0,
  failed: 0,
  completedPerMinute: 0,
  failedPerMinute: 0,
});

/**
 * Completed and failed jobs of the last hour for every queue named, from the registry rather
 * than BullMQ: Redis keeps finished jobs only for their retention, and counts there say nothing
 * about when a job finished. One grouped query for all queues, which the partial index on
 * `finished_at` serves with a range scan of the last hour alone.
 */
export async function finishedLastHour(
  db: Database,
  queues: readonly string[],
): Promise<Map<string, LastHour>> {
  const rows = await db
    .select({ queue: jobRuns.queue, state: jobRuns.state, count: sql<number>`count(*)::int` })
    .from(jobRuns)
    .where(
      and(
        gte(jobRuns.finishedAt, sql`now() - interval '1 hour'`),
        inArray(jobRuns.queue, [...queues]),
        inArray(jobRuns.state, ['completed', 'failed']),
      ),
    )
    .groupBy(jobRuns.queue, jobRuns.state);
  const byQueue = new Map(queues.map((queue) => [queue, emptyLastHour()]));
  for (const row of rows) {
    const stats = byQueue.get(row.queue);
    if (!stats) continue;
    if (row.state === 'completed') {
      stats.completed = row.count;
      stats.completedPerMinute = perMinute(row.count);
    } else {
      stats.failed = row.count;
      stats.failedPerMinute = perMinute(row.count);
    }
  }
  return byQueue;
}
