import { decodeJobCancelRequest, jobCancelChannel } from '@conveyor/queue-contracts';
import type { Logger } from '@conveyor/runtime/logger';
import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * The workers' side of cancelling running jobs: hearing the requests queue-contracts' cancel
 * contract describes (the channel, the message, why pub/sub). Publishing them is the asking
 * service's business.
 */

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
    const request = decodeJobCancelRequest(message);
    if (request === null) {
      logger.warn({ message }, 'ignored a malformed cancel request');
      return;
    }
    if (request.queue === options.queue) options.onCancel(request.jobId);
  });
  const ready = subscriber.subscribe(channel).then(
    () => undefined,
    // Only a closed connection refuses the subscription; there is nothing left to cancel then.
    (err: unknown) => logger.warn({ err }, 'cancel subscription failed'),
  );
  // disconnect, not quit: a subscriber has nothing to flush, and quit could wait on an outage.
  return { ready, close: () => subscriber.disconnect() };
}
