import type { Database } from '@conveyor/db/client';
import type { QueueName } from '@conveyor/queue-contracts';
import type { Logger } from '@conveyor/runtime/logger';
import type { Redis } from 'ioredis';
import { parseStreamEntry, type JobEvent } from '../events.js';
import type { JobInfo, JobInfoReader } from '../job-info.js';
import { execPipeline } from '../pipeline.js';
import { applyJobEvents } from './apply.js';

/**
 * A stream entry as XREADGROUP or XAUTOCLAIM returns it; `null` fields mark a pending entry
 * that the stream has trimmed away since it was delivered.
 */
export type GroupEntry = [id: string, fields: string[] | null];

export interface BatchContext {
  redis: Redis;
  db: Database;
  group: string;
  queueOf: (key: string) => QueueName | undefined;
  readInfo: JobInfoReader;
  logger: Logger;
}

type Item = { event: JobEvent; info: JobInfo | null };

const jobKeyOf = (event: JobEvent) => `${event.queue}\u0000${event.jobId}`;

/** SQLSTATE classes 22 (data exception) and 23 (integrity): the data is at fault, not the link. */
function isDataError(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^2[23]/.test(code)) return true;
  }
  return false;
}

/**
 * Applies the batch; if the data of some job makes the database refuse it, applies job by job
 * and skips (with an error log) only the jobs it refuses, so one bad event cannot stop the
 * registry. Any other failure (the database away) is thrown, and the batch stays pending.
 */
async function applyIsolated(context: BatchContext, items: Item[]): Promise<void> {
  try {
    await applyJobEvents(context.db, items);
    return;
  } catch (error) {
    if (!isDataError(error)) throw error;
  }
  const byJob = new Map<string, Item[]>();
  for (const item of items) {
    const key = jobKeyOf(item.event);
    byJob.set(key, [...(byJob.get(key) ?? []), item]);
  }
  for (const jobItems of byJob.values()) {
    try {
      await applyJobEvents(context.db, jobItems);
    } catch (error) {
      if (!isDataError(error)) throw error;
      const { queue, jobId } = jobItems[0]!.event;
      context.logger.error({ err: error, queue, jobId }, 'job_runs refused events; skipped');
    }
  }
}

/**
 * Handles entries read from the group: applies them to `job_runs`, then acknowledges them.
 * A crash in between leaves them pending, to be applied again, which changes nothing.
 * Returns the number of entries handled.
 */
export async function handleEntries(
  context: BatchContext,
  streams: ReadonlyArray<[key: string, entries: GroupEntry[]]>,
): Promise<number> {
  const events: JobEvent[] = [];
  let handled = 0;
  for (const [key, entries] of streams) {
    const queue = context.queueOf(key);
    for (const [id, fields] of entries) {
      handled += 1;
      const event = queue && fields ? parseStreamEntry(queue, id, fields) : null;
      if (event) events.push(event);
    }
  }
  if (handled === 0) return 0;

  // One look-up per job, all at once: ioredis pipelines concurrent commands on its own.
  const jobs = [...new Map(events.map((event) => [jobKeyOf(event), event])).values()];
  const found = await Promise.all(jobs.map((event) => context.readInfo(event.queue, event.jobId)));
  const infos = new Map(jobs.map((event, index) => [jobKeyOf(event), found[index] ?? null]));
  await applyIsolated(
    context,
    events.map((event) => ({ event, info: infos.get(jobKeyOf(event)) ?? null })),
  );

  const acks = context.redis.pipeline();
  for (const [key, entries] of streams) {
    if (entries.length > 0) acks.xack(key, context.group, ...entries.map(([id]) => id));
  }
  await execPipeline(acks);
  context.logger.debug({ entries: handled, events: events.length }, 'job_runs updated');
  return handled;
}
