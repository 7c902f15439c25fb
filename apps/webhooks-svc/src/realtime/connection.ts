import type { JobEventHub, OwnedJobEvent } from '@conveyor/job-events/hub';
import type { UserEvent } from '@conveyor/job-events/user-events';
import type { Claims } from '@conveyor/service-kit/claims';
import { errorText, isDependencyOutage } from '@conveyor/service-kit/errors';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { JobsRepository } from '../plugins/jobs-repository.js';
import { parseClientMessage, type ClientMessage } from './client-messages.js';
import { CloseCode, CloseReason } from './close-codes.js';
import { runAt } from './deadline.js';
import { jobMessages, notificationMessage, type ServerMessage } from './server-messages.js';

/** Jobs one socket may follow by id at once; the user-wide `job:*` events need no subscription. */
export const MAX_JOB_SUBSCRIPTIONS = 100;

export interface ConnectionOptions {
  hub: JobEventHub;
  /** The registry's owner lookup: whether a `subscribe:job` id is the user's. */
  jobs: Pick<JobsRepository, 'find'>;
  /** REALTIME_MAX_BUFFERED_BYTES. */
  maxBufferedBytes: number;
  log: FastifyBaseLogger;
}

/**
 * One authenticated socket: it hears the hub's events of its user only (the hub filters by
 * owner, so nothing here can leak another user's job), answers the client's messages, and
 * closes itself when the token expires or the client reads too slowly.
 *
 * Order: the hub calls back in stream order and every send is synchronous, so a job's events
 * leave in the order they happened. Client messages are handled one after another too (a
 * subscribe waits for its registry lookup before the next message is looked at), so a
 * `subscribe:job` followed by `unsubscribe:job` always ends unsubscribed.
 */
export function openConnection(socket: WebSocket, claims: Claims, options: ConnectionOptions) {
  const userId = claims.sub;
  const subscribedJobs = new Set<string>();

  function send(message: ServerMessage): void {
    if (socket.readyState !== socket.OPEN) return;
    // A client that stopped reading leaves every message queued in this process. Past the
    // limit it is cut off, so it can hold neither memory nor the others' delivery: the hub's
    // callback never waits for a socket. The close frame waits behind the backlog; ws destroys
    // the socket if the close handshake has not finished after its close timeout (30 s).
    if (socket.bufferedAmount > options.maxBufferedBytes) {
      options.log.info(
        { userId, bufferedAmount: socket.bufferedAmount },
        'realtime client too slow',
      );
      socket.close(CloseCode.tooSlow, CloseReason.tooSlow);
      return;
    }
    socket.send(JSON.stringify(message));
  }

  function onEvent(event: OwnedJobEvent | UserEvent): void {
    if (event.type === 'notification:new') {
      send(notificationMessage(event));
      return;
    }
    for (const message of jobMessages(event, subscribedJobs.has(event.jobId))) send(message);
  }

  async function subscribe(jobId: string): Promise<void> {
    if (subscribedJobs.has(jobId)) {
      send({ type: 'subscribed', jobId });
      return;
    }
    if (subscribedJobs.size >= MAX_JOB_SUBSCRIPTIONS) {
      send({ type: 'error', message: 'Too many subscriptions', jobId });
      return;
    }
    // Another user's job answers exactly like a missing one (DESIGN.md, "Identity"): the
    // repository finds neither.
    if ((await options.jobs.find(userId, jobId)) === null) {
      send({ type: 'error', message: 'Job not found', jobId });
      return;
    }
    subscribedJobs.add(jobId);
    send({ type: 'subscribed', jobId });
  }

  async function handle(message: ClientMessage): Promise<void> {
    switch (message.type) {
      case 'subscribe:job':
        return subscribe(message.jobId);
      case 'unsubscribe:job':
        subscribedJobs.delete(message.jobId);
        return send({ type: 'unsubscribed', jobId: message.jobId });
      case 'ping':
        return send({ type: 'pong' });
    }
  }

  // Messages are handled one at a time, in arrival order. While any wait (a subscribe's lookup)
  // the socket stops reading, so a client flooding the server queues in its own TCP window,
  // not in this process.
  let pending: Promise<void> = Promise.resolve();
  let waiting = 0;
  // ws hands text and binary frames over as one Buffer (binaryType `nodebuffer`, its default).
  socket.on('message', (data: Buffer) => {
    waiting += 1;
    if (waiting === 1) socket.pause();
    pending = pending
      .then(() => {
        const parsed = parseClientMessage(data.toString());
        // A bad frame is answered, never a reason to close: the client may be a newer version.
        if (!parsed.ok) return send({ type: 'error', message: parsed.error });
        return handle(parsed.message);
      })
      .catch((error: unknown) => {
        options.log.warn({ err: error, userId }, 'realtime message failed');
        send({
          type: 'error',
          message: isDependencyOutage(error) ? errorText.unavailable : errorText.internal,
        });
      })
      .finally(() => {
        waiting -= 1;
        if (waiting === 0) socket.resume();
      });
  });

  const unsubscribe = options.hub.subscribeUser(userId, onEvent);
  const cancelExpiry = runAt(claims.exp * 1000, () =>
    socket.close(CloseCode.tokenExpired, CloseReason.tokenExpired),
  );
  socket.once('close', () => {
    unsubscribe();
    cancelExpiry();
    subscribedJobs.clear();
  });

  send({ type: 'ready', expiresAt: new Date(claims.exp * 1000).toISOString() });
}
