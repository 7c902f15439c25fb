import { openSession, readyFrame } from '@conveyor/realtime/session';
import type { JobEventHub, OwnedJobEvent } from '@conveyor/job-events/hub';
import type { UserEvent } from '@conveyor/job-events/user-events';
import type { Claims } from '@conveyor/service-kit/claims';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { JobsRepository } from '../plugins/jobs-repository.js';
import { parseClientMessage, type ClientMessage } from './client-messages.js';
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
 * owner, so nothing here can leak another user's job) and answers the client's messages. The
 * session (@conveyor/realtime) closes it when the token expires or the client reads too slowly.
 * The hub calls back in stream order and every send is synchronous, so a job's events leave in
 * the order they happened.
 */
export function openConnection(socket: WebSocket, claims: Claims, options: ConnectionOptions) {
  const userId = claims.sub;
  const subscribedJobs = new Set<string>();

  function onEvent(event: OwnedJobEvent | UserEvent): void {
    if (event.type === 'notification:new') {
      session.send(notificationMessage(event));
      return;
    }
    for (const message of jobMessages(event, subscribedJobs.has(event.jobId))) {
      session.send(message);
    }
  }

  async function subscribe(jobId: string): Promise<void> {
    if (subscribedJobs.has(jobId)) {
      session.send({ type: 'subscribed', jobId });
      return;
    }
    if (subscribedJobs.size >= MAX_JOB_SUBSCRIPTIONS) {
      session.send({ type: 'error', message: 'Too many subscriptions', jobId });
      return;
    }
    // Another user's job answers exactly like a missing one (DESIGN.md, "Identity"): the
    // repository finds neither.
    if ((await options.jobs.find(userId, jobId)) === null) {
      session.send({ type: 'error', message: 'Job not found', jobId });
      return;
    }
    subscribedJobs.add(jobId);
    session.send({ type: 'subscribed', jobId });
  }

  async function handle(message: ClientMessage): Promise<void> {
    switch (message.type) {
      case 'subscribe:job':
        return subscribe(message.jobId);
      case 'unsubscribe:job':
        subscribedJobs.delete(message.jobId);
        return session.send({ type: 'unsubscribed', jobId: message.jobId });
      case 'ping':
        return session.send({ type: 'pong' });
    }
  }

  const session = openSession<ClientMessage, ServerMessage>(socket, {
    claims,
    maxBufferedBytes: options.maxBufferedBytes,
    log: options.log,
    parse: parseClientMessage,
    handle,
  });
  const unsubscribe = options.hub.subscribeUser(userId, onEvent);
  socket.once('close', () => {
    unsubscribe();
    subscribedJobs.clear();
  });

  session.send(readyFrame(claims));
}
