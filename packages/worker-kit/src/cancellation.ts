import type { Logger } from '@conveyor/runtime/logger';
import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';

/**
 * Cancellation of running jobs. BullMQ can remove a waiting or delayed job, but an active one
 * is held by whichever worker instance took it, so a cancel request is broadcast on a pub/sub
 * channel and the instance that holds the job aborts it. Pub/sub (not a stream) on purpose: a
 * request only matters to a job running at that moment, and a job that is not running anywhere
 * is cancelled by removing it from its queue instead.
 */

/** The reason a cancelled job fails with. */
export const CANCELLED_REASON = 'Cancelled';

/** The channel of cancel requests under a BullMQ key prefix: `<prefix>:job-cancel`. */
export const jobCancelChannel = (prefix: string): string => `${prefix}:job-cancel`;

export const JobCancelRequestSchema = z.object({
  queue: z.string().min(1),
  jobId: z.string().min(1),
});

export type JobCancelRequest = z.infer<typeof JobCancelRequestSchema>;

/**
 * Asks the worker that holds the job to abort it. Resolves with how many worker instances heard
 * the request (every instance of every queue listens, so this is not whether the job was held).
 */
export async function requestJobCancel(
  redis: Redis,
  prefix: string,
  request: JobCancelRequest,
): Promise<number> {
  return redis.publish(jobCancelChannel(prefix), JSON.stringify(request));
}

export interface CancelListener {
  /** Resolves once the subscription is in place; requests published before it are not heard. */
  ready: Promise<void>;
  close: () => void;
}

/**
 * A connection of its own for the subscription: a subscribed connection can run no other
 * command, and BullMQ's blocking connection is busy. It waits and retries while Redis is away,
 * and ioredis subscribes again after a reconnect.
 */
function subscriberConnection(connection: ConnectionOptions): Redis {
  const own: RedisOptions = { maxRetriesPerRequest: null, enableOfflineQueue: true };
  // Duck-typed, not `instanceof`: the connection may come from another copy of ioredis.
  if (typeof (connection as Partial<Redis>).duplicate === 'function') {
    return (connection as Redis).duplicate(own);
  }
  return new Redis({ ...(connection as RedisOptions), ...own });
}

/** Calls `onCancel(jobId)` for every cancel request of `queue` published under `prefix`. */
export function listenForCancelRequests(options: {
  connection: ConnectionOptions;
  prefix: string;
  queue: string;
  logger: Logger;
  onCancel: (jobId: string) => void;
}): CancelListener {
  const { logger } = options;
  const channel = jobCancelChannel(options.prefix);
  const subscriber = subscriberConnection(options.connection);
  subscriber.on('error', (err) => logger.warn({ err }, 'cancel subscriber error'));
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const parsed = JobCancelRequestSchema.safeParse(safeJson(message));
    if (!parsed.success) {
      logger.warn({ message }, 'ignored a malformed cancel request');
      return;
    }
    if (parsed.data.queue === options.queue) options.onCancel(parsed.data.jobId);
  });
  const ready = subscriber.subscribe(channel).then(
    () => undefined,
    // Only a closed connection refuses the subscription; there is nothing left to cancel then.
    (err: unknown) => logger.warn({ err }, 'cancel subscription failed'),
  );
  // disconnect, not quit: a subscriber has nothing to flush, and quit could wait on an outage.
  return { ready, close: () => subscriber.disconnect() };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
