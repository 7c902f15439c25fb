import type { JobEventHub } from '@conveyor/job-events/hub';
import { registerSocketServer } from '@conveyor/realtime/socket-server';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { JobsRepository } from '../plugins/jobs-repository.js';
import { openConnection } from './connection.js';
import ticketRoute from './ticket-route.js';

export interface RealtimePluginOptions {
  /** Delivers each user's job and notification events; opened and closed by the app. */
  hub: JobEventHub;
  /** The fail-fast request connection: tickets. */
  redis: Redis;
  /** The job registry: ownership of `subscribe:job` ids, looked up as the jobs API does. */
  jobs: Pick<JobsRepository, 'find'>;
  config: Config;
}

/**
 * Real-time job feedback (spec 004 events over a plain WebSocket, DESIGN.md "Real time"):
 * `GET /api/realtime`, the socket, and `POST /api/realtime/ticket`. It lives in this service
 * because the service owns the job registry (ownership of job ids) and reads the event hub.
 * Encapsulated: @fastify/websocket's route wrapping applies to these routes only. The socket
 * rules every socket of the platform shares (tickets, handshake, cap, heartbeat, backlog,
 * expiry, shutdown) are @conveyor/realtime's.
 */
const realtimePlugin: FastifyPluginAsyncZod<RealtimePluginOptions> = async (app, options) => {
  const { config } = options;
  const sockets = await registerSocketServer(app, { redis: options.redis, config });
  const connectionOptions = {
    hub: options.hub,
    jobs: options.jobs,
    maxBufferedBytes: config.REALTIME_MAX_BUFFERED_BYTES,
  };
  await app.register(ticketRoute, { tickets: sockets.tickets });

  app.get(
    '/api/realtime',
    {
      websocket: true,
      onRequest: sockets.authenticateHandshake,
    },
    (socket, request) => {
      if (!sockets.admit(request.user.sub, socket)) return;
      openConnection(socket, request.user, { ...connectionOptions, log: request.log });
    },
  );
};

export default realtimePlugin;
