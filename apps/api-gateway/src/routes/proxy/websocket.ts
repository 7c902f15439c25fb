import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { REQUEST_ID_HEADER } from '@conveyor/service-kit/app';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import WebSocket, { WebSocketServer, type RawData } from 'ws';

/**
 * WebSocket proxying, the way @fastify/http-proxy did it before the HTTP pass-through replaced
 * that plugin (see forward.ts): an upgrade request is routed through fastify like any request,
 * so the route's guard (authentication, admin check, cookie CSRF check, rate limit) runs first
 * and a refusal is an ordinary HTTP answer on the socket; an accepted upgrade is then linked to
 * a socket opened to the service at the same path, carrying the caller's credentials and
 * request id.
 */

/** The upgrading socket and its first bytes, kept on the raw request for the route handler. */
const kUpgrade = Symbol('conveyor.websocket-upgrade');

interface UpgradingRequest extends IncomingMessage {
  [kUpgrade]?: { socket: Duplex; head: Buffer };
}

export interface WebSocketProxyOptions {
  /** Largest message, both ways, in bytes. */
  maxPayload: number;
  /** Milliseconds the service may take to accept the handshake. */
  handshakeTimeoutMs: number;
}

/** Close codes a peer may not send on the wire; mapped into the application range as the plugin did. */
function sendableCode(code: unknown): number {
  if (typeof code !== 'number') return 1011;
  if (code === 1004 || code === 1005 || code === 1006) return 3000 + code;
  return code;
}

function closeSocket(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === WebSocket.OPEN) socket.close(sendableCode(code), reason);
  else if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
}

/** Carries messages, pings and closes both ways between the client and the service. */
function link(client: WebSocket, service: WebSocket): void {
  let closed = false;
  const close = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    closeSocket(client, code, reason);
    closeSocket(service, code, reason);
  };
  // Messages that arrive before the service's socket is open wait for it, in order.
  const whenOpen = (send: () => void) => {
    if (service.readyState === WebSocket.CONNECTING) service.once('open', send);
    else if (service.readyState === WebSocket.OPEN) send();
  };
  client.on('message', (data: RawData, binary: boolean) =>
    whenOpen(() => service.send(data, { binary })),
  );
  client.on('ping', (data: Buffer) => whenOpen(() => service.ping(data)));
  client.on('pong', (data: Buffer) => whenOpen(() => service.pong(data)));
  client.on('close', (code: number, reason: Buffer) => close(code, reason.toString()));
  client.on('error', (error: Error) => close(1011, error.message));

  service.on('message', (data: RawData, binary: boolean) => client.send(data, { binary }));
  service.on('ping', (data: Buffer) => client.ping(data));
  service.on('pong', (data: Buffer) => client.pong(data));
  service.on('close', (code: number, reason: Buffer) => close(code, reason.toString()));
  // A service that is down or refuses the handshake closes the client's socket with 1011.
  service.on('error', (error: Error) => close(1011, error.message));
  service.on('unexpected-response', () => close(1011, 'unexpected response'));
}

/**
 * Installs the upgrade listener and returns `isUpgrade` and `accept` for the proxy's route
 * handlers. Open sockets are closed (1001, going away) when the app closes.
 */
export function setupWebSocketProxy(app: FastifyInstance, options: WebSocketProxyOptions) {
  const server = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  server.on('error', (error) => app.log.error({ err: error }, 'websocket server error'));

  app.server.on('upgrade', (raw: UpgradingRequest, socket: Duplex, head: Buffer) => {
    raw[kUpgrade] = { socket, head };
    const response = new ServerResponse(raw);
    response.assignSocket(socket as never);
    // A refused upgrade is answered like any request; the socket then has nothing more to do.
    response.on('finish', () => socket.destroy());
    app.routing(raw, response);
  });

  app.addHook('preClose', (done) => {
    for (const client of server.clients) client.close(1001, 'server shutting down');
    server.close(() => done());
  });

  return {
    isUpgrade: (request: FastifyRequest): boolean =>
      (request.raw as UpgradingRequest)[kUpgrade] !== undefined,

    /** Completes the client's handshake and links it to the service's socket at the same path. */
    accept(request: FastifyRequest, reply: FastifyReply, origin: string): void {
      const { socket, head } = (request.raw as UpgradingRequest)[kUpgrade]!;
      reply.hijack();
      const target = `${origin.replace(/^http/, 'ws')}${request.raw.url!}`;
      const headers: Record<string, string> = { [REQUEST_ID_HEADER]: request.id };
      if (request.headers.authorization !== undefined)
        headers.authorization = request.headers.authorization;
      if (request.headers.cookie !== undefined) headers.cookie = request.headers.cookie;
      server.handleUpgrade(request.raw, socket, head, (client) => {
        const protocols = client.protocol ? [client.protocol] : [];
        const service = new WebSocket(target, protocols, {
          headers,
          maxPayload: options.maxPayload,
          handshakeTimeout: options.handshakeTimeoutMs,
        });
        link(client, service);
      });
    },
  };
}
