import type { QueueName } from '@conveyor/queue-contracts';
import type { Logger } from '@conveyor/runtime/logger';
import { createRedis } from '@conveyor/runtime/redis';
import { eventsStreamKey, parseStreamEntry, type JobEvent } from './events.js';
import { createJobInfoReader, type JobInfo } from './job-info.js';
import { Listeners } from './listeners.js';
import { startStreamTail, type StreamEntry, type StreamTail } from './stream-tail.js';
import { parseUserEventEntry, userEventsStreamKey, type UserEvent } from './user-events.js';

/** A job event with what routing needs: the job's name and the user it runs for. */
export interface OwnedJobEvent extends JobEvent {
  name: string;
  ownerId: string;
}

/** A job event with the job's name and owner as known when it was read (null: not known). */
export interface QueueJobEvent extends JobEvent {
  name: string | null;
  ownerId: string | null;
}

export interface JobEventHub {
  /**
   * Events of the user's own jobs (jobs without an owner are never delivered) and the user's
   * UserEvents, in stream order per queue.
   */
  subscribeUser(userId: string, listener: (event: OwnedJobEvent | UserEvent) => void): () => void;
  /** Events of one job, with its owner (callers check ownership). */
  subscribeJob(jobId: string, listener: (event: OwnedJobEvent) => void): () => void;
  /**
   * Events of one job of one queue, whoever it runs for, system jobs included: for admins.
   * Nobody's owner is looked up for them, and queue-wide counter ids cannot collide.
   */
  subscribeQueueJob(
    queue: QueueName,
    jobId: string,
    listener: (event: JobEvent) => void,
  ): () => void;
  /**
   * Every job event of one queue, whoever the job runs for, system jobs included, with its name
   * and owner: for the admin `tasks` rooms. A job whose hash is already gone has them null.
   */
  subscribeQueue(queue: QueueName, listener: (event: QueueJobEvent) => void): () => void;
  close(): Promise<void>;
}

export interface JobEventHubOptions {
  redisUrl: string;
  /** BullMQ key prefix, the producers' and workers' own. */
  prefix: string;
  queues: readonly QueueName[];
  logger: Logger;
  /** Milliseconds one XREAD waits for news; only tests need another value. @defaultValue 5 000 */
  blockMs?: number;
}

/** Entries read per stream and call: enough to catch up quickly, small enough to stay fair. */
const READ_COUNT = 500;

/** A job's topic among every queue's: BullMQ refuses `:` in job ids, so none collide. */
const queueJobTopic = (queue: QueueName, jobId: string) => `${queue}:${jobId}`;

/**
 * Real-time fan-out, one per service instance. Every instance reads every event (XREAD, not a
 * consumer group), so a user's sockets hear their events whichever instance holds them. Job
 * events are resolved to their owner with the cached job-info reader; events nobody here
 * listens to are not looked up at all.
 *
 * Two connections: the tail's, which XREAD BLOCK holds, and one for the owner look-ups. Both
 * wait out a Redis outage and reconnect by themselves; so does the start, which resolves once
 * it has read where every stream ends (from then on, every new event is heard). A job whose hash is already gone when
 * its first event is read (removed at once, `removeOnComplete: true`) cannot be routed.
 */
export async function createJobEventHub(options: JobEventHubOptions): Promise<JobEventHub> {
  const { logger, prefix } = options;
  const users = new Listeners<OwnedJobEvent | UserEvent>(logger, 'user event');
  const jobs = new Listeners<OwnedJobEvent>(logger, 'job event');
  const queueJobs = new Listeners<JobEvent>(logger, 'queue job event');
  const wholeQueues = new Listeners<QueueJobEvent>(logger, 'queue event');
  const lookups = createRedis(options.redisUrl, 'worker', 'job-event-hub');
  const blocking = createRedis(options.redisUrl, 'worker', 'job-event-hub:tail');
  for (const client of [lookups, blocking]) {
    // ioredis logs and retries by itself; without a listener an error event would crash us.
    client.on('error', (error: Error) => logger.debug({ err: error }, 'job event hub: redis'));
  }
  const readInfo = createJobInfoReader(lookups, prefix);

  const queueByKey = new Map(
    options.queues.map((queue) => [eventsStreamKey(prefix, queue), queue]),
  );
  const userKey = userEventsStreamKey(prefix);

  const handleUserEvents = (entries: StreamEntry[]) => {
    for (const [, fields] of entries) {
      const event = parseUserEventEntry(fields);
      if (event) users.emit(event.userId, event);
    }
  };

  const handleJobEvents = async (queue: QueueName, entries: StreamEntry[]) => {
    const queueWatched = wholeQueues.has(queue);
    const needsInfo = (event: JobEvent) => queueWatched || users.size > 0 || jobs.has(event.jobId);
    const wanted = entries
      .map(([id, fields]) => parseStreamEntry(queue, id, fields))
      .filter((event): event is JobEvent => {
        return (
          event !== null && (needsInfo(event) || queueJobs.has(queueJobTopic(queue, event.jobId)))
        );
      });
    // Look every job up first (in parallel, one round trip per job not cached), then deliver
    // in stream order without awaiting in between, so the order holds.
    const infos = new Map<string, JobInfo | null>();
    const ids = [...new Set(wanted.filter(needsInfo).map((event) => event.jobId))];
    const found = await Promise.all(ids.map((jobId) => readInfo(queue, jobId)));
    ids.forEach((jobId, index) => infos.set(jobId, found[index] ?? null));
    for (const event of wanted) {
      queueJobs.emit(queueJobTopic(queue, event.jobId), event);
      const info = infos.get(event.jobId);
      if (queueWatched) {
        wholeQueues.emit(queue, {
          ...event,
          name: info?.name ?? null,
          ownerId: info?.ownerId ?? null,
        });
      }
      if (!info?.ownerId) continue;
      const owned: OwnedJobEvent = { ...event, name: info.name, ownerId: info.ownerId };
      jobs.emit(event.jobId, owned);
      users.emit(info.ownerId, owned);
    }
  };

  let tail: StreamTail;
  try {
    tail = await startStreamTail({
      redis: blocking,
      keys: [...queueByKey.keys(), userKey],
      blockMs: options.blockMs ?? 5_000,
      count: READ_COUNT,
      logger,
      handle: async (key, entries) => {
        const queue = queueByKey.get(key);
        if (queue) await handleJobEvents(queue, entries);
        else handleUserEvents(entries);
      },
    });
  } catch (error) {
    blocking.disconnect();
    lookups.disconnect();
    throw error;
  }

  return {
    subscribeUser: (userId, listener) => users.add(userId, listener),
    subscribeJob: (jobId, listener) => jobs.add(jobId, listener),
    subscribeQueueJob: (queue, jobId, listener) =>
      queueJobs.add(queueJobTopic(queue, jobId), listener),
    subscribeQueue: (queue, listener) => wholeQueues.add(queue, listener),
    async close() {
      await tail.stop();
      users.clear();
      jobs.clear();
      queueJobs.clear();
      wholeQueues.clear();
      lookups.disconnect();
    },
  };
}
