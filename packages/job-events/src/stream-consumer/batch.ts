import type { QueueName } from '@conveyor/queue-contracts';
import type { Redis } from 'ioredis';
import { parseStreamEntry, type JobEvent } from '../events.js';
import type { JobInfoReader } from '../job-info.js';
import { execPipeline } from '../pipeline.js';
import type { GroupReply } from './group.js';

/**
 * Acts on one batch of job events, in stream order per queue. It must be safe to run again on
 * the same events: a crash before they are acknowledged hands them over once more.
 */
export type JobEventsHandler = (events: JobEvent[], readInfo: JobInfoReader) => Promise<void>;

export interface BatchContext {
  redis: Redis;
  group: string;
  queueOf: (key: string) => QueueName | undefined;
  readInfo: JobInfoReader;
  handle: JobEventsHandler;
}

/**
 * Handles entries read from the group: hands their job events to the handler, then, once it
 * has applied them, acknowledges every entry, the ones that are no job event included
 * (queue-wide events, entries trimmed since they were read). A crash or a failed handler in
 * between leaves them pending, to be handled again. Returns the number of entries handled.
 */
export async function handleEntries(context: BatchContext, streams: GroupReply): Promise<number> {
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

  await context.handle(events, context.readInfo);

  const acks = context.redis.pipeline();
  for (const [key, entries] of streams) {
    if (entries.length > 0) acks.xack(key, context.group, ...entries.map(([id]) => id));
  }
  await execPipeline(acks);
  return handled;
}
