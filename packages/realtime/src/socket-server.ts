/// <reference types="@fastify/websocket" preserve="true" />
// The route option `websocket: true` and the socket handler signature of every route served
// through this server come from that module's augmentation of fastify; the reference carries it
// into the declarations, so consumers built against dist see it too.
import { once } from 'node:events';
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { WebSocket } from 'ws';
import { CloseCode, CloseReason } from './close-codes.js';
import { createConnectionRegistry } from './connection-registry.js';
import { createHandshakeGuard } from './handshake.js';
import { createHeartbeat } from './heartbeat.js';
import { createTicketStore, type TicketStore } from './tickets.js';

/** Largest client frame. Clients send small JSON commands; a larger frame closes with 1009. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

/** Milliseconds sockets get at shutdown to finish their close handshake before they are cut. */
const shutdownGraceMs = 1_000;

export interface SocketServerOptions {
  /** The fail-fast request connection: tickets are issued and redeemed on it. */
  redis: Redis;
  config: {
    /** Sockets one user may hold on this instance. */
    REALTIME_MAX_CONNECTIONS_PER_USER: number;
    /** Ping interval; a peer that misses one is gone after the next. */
    REALTIME_HEARTBEAT_MS: number;
    /** Lifetime of a ticket this service issues. */
    REALTIME_TICKET_SECONDS: number;
    /** The browser origins allowed to open a socket. */
    CORS_ORIGINS: readonly string[];
  };
}

export interface SocketServer {
  /** The platform's ticket store (one in Redis: any socket redeems any service's ticket). */
  tickets: TicketStore;
  /**
   * The onRequest hook of a socket route: origin, then the ticket or the token, so a refusal is
   * an HTTP 401/403 and no socket opens (see ./handshake). Role checks go after it.
   */
  authenticateHandshake: (request: FastifyRequest) => Promise<void>;
  /**
   * Takes an authenticated socket in: counted against its user's cap (closed 4029 when over
   * it, and then `false`) and watched by the heartbeat until it closes.
   */
  admit(userId: string, socket: WebSocket): boolean;
}

/**
 * Registers @fastify/websocket on an encapsulated plugin scope, so its route wrapping applies to
 * that scope's routes only, with the platform's socket rules: tickets and the handshake check,
 * the per-user cap, one heartbeat
 * for every socket, and a shutdown that closes each socket with 1001 (reconnect: another
 * instance answers) instead of the plugin's code-less close, waiting at most a second for the
 * close handshakes rather than the 30 s ws allows a peer that never answers.
 */
export async function registerSocketServer(
  app: FastifyInstance,
  options: SocketServerOptions,
): Promise<SocketServer> {
  const { config } = options;
  const tickets = createTicketStore({
    redis: options.redis,
    ttlSeconds: config.REALTIME_TICKET_SECONDS,
  });
  const registry = createConnectionRegistry(config.REALTIME_MAX_CONNECTIONS_PER_USER);
  const heartbeat = createHeartbeat(config.REALTIME_HEARTBEAT_MS);

  await app.register(fastifyWebsocket, {
    options: { maxPayload: MAX_CLIENT_FRAME_BYTES },
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

  return {
    tickets,
    authenticateHandshake: createHandshakeGuard(app, {
      tickets,
      allowedOrigins: config.CORS_ORIGINS,
    }),
    admit(userId, socket) {
      if (!registry.admit(userId, socket)) {
        socket.close(CloseCode.tooManyConnections, CloseReason.tooManyConnections);
        return false;
      }
      heartbeat.watch(socket);
      return true;
    },
  };
}
