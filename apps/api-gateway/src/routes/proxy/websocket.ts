import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { REQUEST_ID_HEADER } from '@conveyor/service-kit/app';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import type { ForwardFailure } from './forward.js';
import { UPSTREAM_TIMEOUT_CODE } from './upstream-errors.js';

/**
 * WebSocket proxying, the way @fastify/http-proxy did it before the HTTP pass-through replaced
 * that plugin (see forward.ts): an upgrade request is routed through fastify like any request,
 * so the route's guard (authentication, admin check, cookie CSRF check, rate limit) runs first
 * and a refusal is an ordinary HTTP answer on the socket. An accepted upgrade then opens a socket
 * to the service at the same path, carrying the caller's credentials and request id, and only
 * when the service has switched protocols is the client's handshake completed and the two
 * linked. So the service's own refusal (a bad or used `?ticket=`, which only it can judge)
 * reaches the client as that same HTTP answer, and a client never sees a socket open that the
 * service did not accept.
 */

/** The upgrading socket and its first bytes, kept on the raw request for the route handler. */
const kUpgrade = Symbol('conveyor.websocket-upgrade');

interface UpgradingRequest extends IncomingMessage {
  /** `protocol`: the subprotocol the service chose, which the client's handshake then gets. */
  [kUpgrade]?: { socket: Duplex; head: Buffer; protocol?: string };
}

export interface WebSocketProxyOptions {
  /** Largest message, both ways, in bytes; also what may wait unsent for a slow client. */
  maxPayload: number;
  /** Milliseconds the service may take to accept the handshake. */
  handshakeTimeoutMs: number;
}

/** Largest refusal body relayed from the service; an error envelope is a few dozen bytes. */
const maxRefusalBytes = 16_384;

/** The service answered the handshake with HTTP instead of switching protocols. */
class RefusedHandshake extends Error {
  override readonly name = 'RefusedHandshake';
  constructor(
    readonly statusCode: number,
    readonly contentType: string | undefined,
    readonly body: Buffer,
  ) {
    super(`service refused the handshake with ${statusCode}`);
  }
}

/** ws's error for a service that accepted the connection but did not answer the handshake. */
const handshakeTimeoutMessage = 'Opening handshake has timed out';

/** The failure `onFailure` gets for a handshake that timed out: a 504, as a silent HTTP answer. */
function asFailure(error: unknown): Error {
  const failure = error instanceof Error ? error : new Error(String(error));
  if (failure.message !== handshakeTimeoutMessage) return failure;
  return Object.assign(new Error(failure.message, { cause: failure }), {
    code: UPSTREAM_TIMEOUT_CODE,
  });
}

/**
 * What of the client's handshake reaches the service: its credentials, and what the browser
 * said about where the page came from, so the service's own origin check (the CSRF rule of
 * cookie sessions and tickets) judges the browser's handshake, not the gateway's.
 */
const forwardedHandshakeHeaders = ['authorization', 'cookie', 'origin', 'sec-fetch-site'] as const;

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

/**
 * Carries messages, pings and closes both ways between the client and the service, both open.
 * Backpressure goes through: while more than `highWater` bytes wait for a slow client, the
 * gateway stops reading from the service, so the backlog builds up in the service, which cuts
 * the client off by its own rule (webhooks-svc: 1013 `Too slow`), instead of in the gateway's
 * memory, unbounded. Clients send small commands, so the other direction needs no such care.
 */
function link(client: WebSocket, service: WebSocket, highWater: number): void {
  let closed = false;
  const close = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    closeSocket(client, code, reason);
    closeSocket(service, code, reason);
  };
  client.on('message', (data: RawData, binary: boolean) => service.send(data, { binary }));
  client.on('ping', (data: Buffer) => service.ping(data));
  client.on('pong', (data: Buffer) => service.pong(data));
  client.on('close', (code: number, reason: Buffer) => close(code, reason.toString()));
  client.on('error', (error: Error) => close(1011, error.message));

  let paused = false;
  const resumeWhenDrained = () => {
    if (paused && client.bufferedAmount <= highWater) {
      paused = false;
      service.resume();
    }
  };
  service.on('message', (data: RawData, binary: boolean) => {
    client.send(data, { binary }, resumeWhenDrained);
    if (!paused && client.bufferedAmount > highWater) {
      paused = true;
      service.pause();
    }
  });
  service.on('ping', (data: Buffer) => client.ping(data));
  service.on('pong', (data: Buffer) => client.pong(data));
  service.on('close', (code: number, reason: Buffer) => close(code, reason.toString()));
  service.on('error', (error: Error) => close(1011, error.message));
  service.resume();
}

/** The subprotocols the client asked for, passed on for the service to choose from. */
function requestedProtocols(request: IncomingMessage): string[] {
  const header = request.headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header
    .split(',')
    .map((protocol) => protocol.trim())
    .filter((protocol) => protocol.length > 0);
}

/**
 * Opens the service's socket. Resolves once the service switched protocols (the socket paused
 * until `link` resumes it); rejects with `RefusedHandshake` when it answered with HTTP (a 401,
 * say), or with the connection's error.
 */
function openServiceSocket(
  target: string,
  protocols: string[],
  options: WebSocket.ClientOptions,
): { service: WebSocket; opened: Promise<void> } {
  const service = new WebSocket(target, protocols, options);
  const opened = new Promise<void>((resolve, reject) => {
    service.once('open', () => {
      // Frames that came with the 101 answer are emitted on the next tick, before a promise
      // continuation runs: held until `link` listens, or the first message would be lost.
      service.pause();
      resolve();
    });
    service.once('error', reject);
    service.once('unexpected-response', (_request, response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let length = 0;
      response.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length <= maxRefusalBytes) chunks.push(chunk);
      });
      response.once('end', () => {
        reject(
          new RefusedHandshake(
            response.statusCode ?? 502,
            response.headers['content-type'],
            Buffer.concat(chunks),
          ),
        );
        service.terminate();
      });
      response.once('error', reject);
    });
  });
  // After the outcome is known, late errors (the terminate above) have nowhere to go.
  service.on('error', () => undefined);
  return { service, opened };
}

/**
 * Installs the upgrade listener and returns `isUpgrade` and `accept` for the proxy's route
 * handlers. Open sockets are closed (1001, going away) when the app closes.
 */
export function setupWebSocketProxy(app: FastifyInstance, options: WebSocketProxyOptions) {
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayload,
    // The client gets the subprotocol the service chose, or none when it chose none.
    handleProtocols: (_protocols, request) =>
      (request as UpgradingRequest)[kUpgrade]?.protocol || false,
  });
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

    /**
     * Opens the service's socket at the same path; once the service accepted, completes the
     * client's handshake and links the two. A refusal by the service is the client's answer
     * (its status and body); a service that is down or silent answers through `onFailure`.
     */
    async accept(
      request: FastifyRequest,
      reply: FastifyReply,
      origin: string,
      onFailure: ForwardFailure,
    ): Promise<void> {
      const raw = request.raw as UpgradingRequest;
      const upgrade = raw[kUpgrade]!;
      const headers: Record<string, string> = { [REQUEST_ID_HEADER]: request.id };
      for (const name of forwardedHandshakeHeaders) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const { service, opened } = openServiceSocket(
        `${origin.replace(/^http/, 'ws')}${raw.url!}`,
        requestedProtocols(raw),
        { headers, maxPayload: options.maxPayload, handshakeTimeout: options.handshakeTimeoutMs },
      );
      // A client that leaves (or whose handshake ws rejects) before the link takes the
      // service's socket with it.
      let linked = false;
      upgrade.socket.once('close', () => {
        if (!linked) service.terminate();
      });
      try {
        await opened;
      } catch (error) {
        if (upgrade.socket.destroyed) reply.hijack();
        else if (error instanceof RefusedHandshake) {
          void reply
            .headers(error.contentType === undefined ? {} : { 'content-type': error.contentType })
            .code(error.statusCode)
            .send(error.body);
        } else onFailure(reply, asFailure(error));
        return;
      }
      reply.hijack();
      if (upgrade.socket.destroyed) return;
      upgrade.protocol = service.protocol;
      server.handleUpgrade(raw, upgrade.socket, upgrade.head, (client) => {
        linked = true;
        link(client, service, options.maxPayload);
      });
    },
  };
}
