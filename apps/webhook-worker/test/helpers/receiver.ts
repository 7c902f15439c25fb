import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { waitUntil } from '@conveyor/test-harness/ports';

/**
 * Real HTTP receivers on loopback for webhook tests: each records every request it gets and
 * answers as the test scripts it, per path.
 */

/** How the receiver answers one request. */
export interface ScriptedResponse {
  /** @defaultValue 200 */
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Milliseconds before the status line is sent; `Infinity` never answers. */
  delayMs?: number;
  /**
   * Bytes of body streamed after the headers (and after `body`), as fast as the client reads
   * them: a response without end for practical purposes.
   */
  streamBytes?: number;
  /** Sends the streamed body one byte every this many milliseconds instead: a dribble. */
  dribbleMs?: number;
}

/** A response per request number (0 for the first request to the path). */
export type Script = readonly ScriptedResponse[] | ((index: number) => ScriptedResponse);

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as it arrived. */
  body: Buffer;
  /** `Date.now()` when the whole body had arrived. */
  receivedAt: number;
  /** `Date.now()` when the exchange ended: response sent or connection dropped by the client. */
  endedAt?: number;
  /** Bytes of response body the receiver managed to write. */
  bytesSent: number;
}

export interface Receiver {
  host: string;
  port: number;
  /** `http://host:port` and the path. */
  url: (path?: string) => string;
  requests: ReceivedRequest[];
  requestsTo: (path: string) => ReceivedRequest[];
  /** TCP connections accepted so far. */
  connections: () => number;
  /** How the requests to `path` are answered: the last scripted response repeats. */
  script: (path: string, script: Script) => void;
  waitForRequests: (path: string, count: number, timeoutMs?: number) => Promise<ReceivedRequest[]>;
  close: () => Promise<void>;
}

const CHUNK = Buffer.alloc(64 * 1024, 'x');

function responseFor(script: Script | undefined, index: number): ScriptedResponse {
  if (!script) return {};
  if (typeof script === 'function') return script(index);
  return script[Math.min(index, script.length - 1)] ?? {};
}

/** Writes `total` bytes as fast as the client takes them, stopping if it goes away. */
async function stream(res: ServerResponse, total: number, record: ReceivedRequest) {
  let left = total;
  while (left > 0 && !res.destroyed) {
    const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
    left -= chunk.length;
    record.bytesSent += chunk.length;
    if (!res.write(chunk)) {
      await new Promise<void>((drained) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          drained();
        };
        res.on('drain', done).on('close', done);
      });
    }
  }
}

async function dribble(
  res: ServerResponse,
  total: number,
  everyMs: number,
  record: ReceivedRequest,
) {
  for (let sent = 0; sent < total && !res.destroyed; sent += 1) {
    res.write('x');
    record.bytesSent += 1;
    await new Promise((later) => setTimeout(later, everyMs));
  }
}

async function answer(res: ServerResponse, response: ScriptedResponse, record: ReceivedRequest) {
  const delayMs = response.delayMs ?? 0;
  if (delayMs === Infinity) return;
  if (delayMs > 0) await new Promise((later) => setTimeout(later, delayMs));
  if (res.destroyed) return;
  res.writeHead(response.status ?? 200, response.headers);
  if (response.body !== undefined) {
    res.write(response.body);
    record.bytesSent += Buffer.byteLength(response.body);
  }
  if (response.streamBytes !== undefined) {
    if (response.dribbleMs !== undefined) {
      await dribble(res, response.streamBytes, response.dribbleMs, record);
    } else {
      await stream(res, response.streamBytes, record);
    }
  }
  if (!res.destroyed) res.end();
}

/** Starts a receiver on `host` (a loopback address) and `port` (0: any free one). */
export async function startReceiver(options: { host?: string; port?: number } = {}) {
  const host = options.host ?? '127.0.0.1';
  const requests: ReceivedRequest[] = [];
  const scripts = new Map<string, Script>();
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  let connections = 0;

  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const index = counts.get(path) ?? 0;
      counts.set(path, index + 1);
      const record: ReceivedRequest = {
        method: req.method ?? '',
        path,
        headers: req.headers,
        body: Buffer.concat(chunks),
        receivedAt: Date.now(),
        bytesSent: 0,
      };
      requests.push(record);
      res.on('close', () => {
        record.endedAt = Date.now();
      });
      answer(res, responseFor(scripts.get(path), index), record).catch(() => res.destroy());
    });
  });
  server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((listening) => server.listen(options.port ?? 0, host, listening));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const requestsTo = (path: string) => requests.filter((request) => request.path === path);
  const receiver: Receiver = {
    host,
    port,
    url: (path = '/') => `http://${host}:${port}${path}`,
    requests,
    requestsTo,
    connections: () => connections,
    script: (path, script) => {
      scripts.set(path, script);
    },
    waitForRequests: async (path, count, timeoutMs = 10_000) => {
      await waitUntil(() => requestsTo(path).length >= count, {
        timeoutMs,
        intervalMs: 5,
        what: `${count} requests to ${path}`,
      });
      return requestsTo(path);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((closed) => server.close(() => closed()));
    },
  };
  return receiver;
}

/**
 * A TCP server that must never be reached (an SSRF canary, a redirect's target): it counts the
 * connections it accepts and drops each at once.
 */
export async function startCanary(options: { host?: string; port?: number } = {}) {
  const host = options.host ?? '127.0.0.1';
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((listening) => server.listen(options.port ?? 0, host, listening));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host,
    port,
    url: (path = '/') => `http://${host}:${port}${path}`,
    connections: () => connections,
    close: () => new Promise<void>((closed) => server.close(() => closed())),
  };
}

export type Canary = Awaited<ReturnType<typeof startCanary>>;
