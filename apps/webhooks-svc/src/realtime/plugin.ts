import { once } from 'node:events';
import type { JobEventHub } from '@conveyor/job-events/hub';
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { JobsRepository } from '../plugins/jobs-repository.js';
import { CloseCode, CloseReason } from './close-codes.js';
import { createConnectionRegistry } from './connection-registry.js';
import { openConnection } from './connection.js';
import { createHandshakeGuard } from './handshake.js';
import { createHeartbeat } from './heartbeat.js';
import ticketRoute from './ticket-route.js';
import { createTicketStore } from './tickets.js';

export interface RealtimePluginOptions {
  /** Delivers each user's job and notification events; opened and closed by the app. */
  hub: JobEventHub;
  /** The fail-fast request connection: tickets. */
  redis: Redis;
  /** The job registry: ownership of `subscribe:job` ids, looked up as the jobs API does. */
  jobs: Pick<JobsRepository, 'find'>;
  config: Config;
}

/** Largest client frame. Clients send small JSON commands; a larger frame closes with 1009. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

/** Milliseconds sockets get at shutdown to finish their close handshake before they are cut. */
const shutdownGraceMs = 1_000;

/**
 * Real-time job feedback (spec 004 events over a plain WebSocket, DESIGN.md "Real time"):
 * `GET /api/realtime`, the socket, and `POST /api/realtime/ticket`. It lives in this service
 * because the service owns the job registry (ownership of job ids) and reads the event hub.
 * Encapsulated: @fastify/websocket's route wrapping applies to these routes only.
 */
const realtimePlugin: FastifyPluginAsyncZod<RealtimePluginOptions> = async (app, options) => {
  const { config } = options;
  const tickets = createTicketStore({
    redis: options.redis,
    ttlSeconds: config.REALTIME_TICKET_SECONDS,
  });
  const registry = createConnectionRegistry(config.REALTIME_MAX_CONNECTIONS_PER_USER);
  const heartbeat = createHeartbeat(config.REALTIME_HEARTBEAT_MS);
  const connectionOptions = {
    hub: options.hub,
    jobs: options.jobs,
    maxBufferedBytes: config.REALTIME_MAX_BUFFERED_BYTES,
  };

  await app.register(fastifyWebsocket, {
    options: { maxPayload: MAX_CLIENT_FRAME_BYTES },
    // Replaces the plugin's own, which closes without a code: 1001 tells clients to reconnect,
    // and the app's close does not wait the 30 s ws allows a peer that never answers.
    preClose: async () => {
      heartbeat.stop();
      const open = [...registry.sockets()];
      for (const socket of open) socket.close(CloseCode.goingAway, CloseReason.goingAway);
      const grace = setTimeout(() => open.forEach((socket) => socket.terminate()), shutdownGraceMs);
      const closing = open.filter((socket) => socket.readyState !== socket.CLOSED);
      await Promise.all(closing.map((socket) => once(socket, 'close')));
      clearTimeout(grace);
      app.websocketServer.close();
    },
  });
  await app.register(ticketRoute, { tickets });

  app.get(
    '/api/realtime',
    {
      websocket: true,
      onRequest: createHandshakeGuard(app, { tickets, allowedOrigins: config.CORS_ORIGINS }),
    },
    (socket, request) => {
      if (!registry.admit(request.user.sub, socket)) {
        socket.close(CloseCode.tooManyConnections, CloseReason.tooManyConnections);
        return;
      }
      heartbeat.watch(socket);
      openConnection(socket, request.user, { ...connectionOptions, log: request.log });
    },
  );
};

export default realtimePlugin;
