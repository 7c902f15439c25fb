import type {
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';
import { REQUEST_ID_HEADER } from '@conveyor/service-kit/app';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';

/**
 * The HTTP pass-through of the proxy: one `dispatch` on the shared undici Agent per request,
 * the service's answer written straight to the client's socket.
 *
 * Why not @fastify/http-proxy and @fastify/reply-from, which the gateway used first: per request
 * they parse the URL three times (`new URL` for the upstream, the destination and the prefix),
 * parse and re-serialize the query string, copy the headers twice, wrap the call in a retry
 * closure, and hand the body to fastify as a Readable stream that is piped to the response.
 * Here the path and query go on untouched, the headers are copied once into a flat list, and a
 * small body (the common case: one chunk) leaves in one `res.end(chunk)`, headers included, with
 * no stream in between. Measured as in `pnpm bench gateway` but against a fast upstream (so the
 * gateway runs hot), this took the gateway's CPU per proxied request from about 440 µs to 300.
 * What remains of the exchange (about 150 µs) is undici's own request and response handling and
 * the two socket operations; undici's older handler API (raw header buffers, no wrapper) was
 * tried and made no measurable difference.
 *
 * What it keeps of the old behaviour, all covered by test/proxy.test.ts: every request header
 * but the hop-by-hop ones reaches the service with `host` set to the service and the request id
 * added; the answer comes back with its status and headers (hop-by-hop ones removed) plus the
 * gateway's own (rate limit, CORS, request id); nothing is ever retried; a failure before the
 * answer starts goes to `onFailure` (502/504/413 in the envelope, see upstream-errors.ts).
 */

/** Headers of one connection, never forwarded (RFC 9110 §7.6.1), plus the two set here. */
const notForwarded = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'http2-settings',
  'host',
  REQUEST_ID_HEADER,
]);

/** Names listed in a `Connection` header, which are hop-by-hop too. */
function connectionOptions(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const names = (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0);
  return names.length > 0 ? new Set(names) : undefined;
}

/** The request headers for the service, as undici's flat `[name, value, ...]` list. */
function upstreamRequestHeaders(raw: IncomingMessage, host: string, requestId: string): string[] {
  const rawHeaders = raw.rawHeaders;
  const alsoHopByHop = connectionOptions(raw.headers.connection);
  const headers: string[] = [];
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!.toLowerCase();
    if (notForwarded.has(name) || alsoHopByHop?.has(name)) continue;
    headers.push(name, rawHeaders[index + 1]!);
  }
  headers.push('host', host, REQUEST_ID_HEADER, requestId);
  return headers;
}

/**
 * The response headers for the client: the gateway's own (rate limit, CORS), unless the service
 * sent the same header, whose value then wins as it did through reply-from; then the service's
 * without the hop-by-hop ones; then the request id.
 */
function clientResponseHeaders(
  gateway: Record<string, string | number | readonly string[] | undefined>,
  upstream: IncomingHttpHeaders,
  requestId: string,
  closeConnection: boolean,
): Array<string | string[]> {
  const headers: Array<string | string[]> = [];
  for (const name in gateway) {
    const value = gateway[name];
    if (value === undefined || name in upstream) continue;
    headers.push(name, typeof value === 'number' ? String(value) : (value as string | string[]));
  }
  const alsoHopByHop = connectionOptions(upstream.connection);
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined || notForwarded.has(name) || alsoHopByHop?.has(name)) continue;
    headers.push(name, value);
  }
  headers.push(REQUEST_ID_HEADER, requestId);
  // An HTTP/1.1 connection cannot take the next request before this one's body has been read.
  if (closeConnection) headers.push('connection', 'close');
  return headers;
}

/** Why a proxied request failed before its answer started: handed to `onFailure`. */
export type ForwardFailure = (reply: FastifyReply, error: Error) => void;

export interface ForwarderOptions {
  /** The shared keep-alive pools (upstream-agent.ts): timeouts, no retries. */
  dispatcher: Dispatcher;
  /** Origin of the service, e.g. `http://127.0.0.1:3001`. */
  origin: string;
  /** Answers a request whose upstream call failed before the answer started. */
  onFailure: ForwardFailure;
}

/**
 * One proxied exchange: undici's handler (its controller API) writing into the client's raw
 * response. An instance per request is the one allocation the pass-through needs; its methods
 * live on the prototype, so no closure is created per request.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private readonly res: ServerResponse;
  /** The first body chunk, held back so a one-chunk answer leaves in one write with its headers. */
  private held: Buffer | null = null;
  private streaming = false;
  /** `waiting` for the answer, `answering` once its headers are written, `done` after a failure. */
  private state: 'waiting' | 'answering' | 'done' = 'waiting';
  private controller: Dispatcher.DispatchController | null = null;

  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly onFailure: ForwardFailure,
  ) {
    this.res = reply.raw;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    if (statusCode < 200 || this.state !== 'waiting') return; // 1xx: the final answer follows
    if (this.res.destroyed) {
      // The client left while the service was answering: nothing to write to.
      this.state = 'done';
      controller.abort(new Error('client closed the connection'));
      return;
    }
    const responseHeaders = clientResponseHeaders(
      this.reply.getHeaders(),
      headers,
      this.request.id,
      !this.request.raw.complete,
    );
    try {
      // Node takes a flat [name, value, ...] list (typed as an object in @types/node).
      this.res.writeHead(
        statusCode,
        statusMessage,
        responseHeaders as unknown as OutgoingHttpHeaders,
      );
    } catch (error) {
      // A header value Node refuses to write: the service's answer is unusable, a 502.
      this.state = 'done';
      controller.abort(error as Error);
      this.onFailure(this.reply, error as Error);
      return;
    }
    this.state = 'answering';
    this.reply.hijack();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.state !== 'answering') return;
    if (!this.streaming) {
      if (this.held === null) {
        this.held = chunk;
        return;
      }
      this.startStreaming();
    }
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    if (this.state !== 'answering') return;
    const held = this.held;
    this.held = null;
    if (held !== null) this.res.end(held);
    else this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.state === 'done') return;
    const answering = this.state === 'answering';
    this.state = 'done';
    if (!answering) {
      this.onFailure(this.reply, error);
      return;
    }
    // The answer had started: the client sees a cut connection, as the service's failure was.
    this.request.log.warn({ err: error }, 'upstream answer broke off');
    this.res.destroy(error);
  }

  /** A body of more than one chunk: from now on each chunk is written as it comes. */
  private startStreaming(): void {
    this.streaming = true;
    const held = this.held!;
    this.held = null;
    this.res.write(held);
    // A client that leaves mid-stream must not keep the service's connection busy.
    this.res.once('close', () => {
      if (!this.res.writableFinished) this.controller?.abort(new Error('client closed'));
    });
  }
}

/**
 * The route handler that forwards a request to one service, path and query unchanged.
 * `headersTimeoutMs` replaces the dispatcher's (UPSTREAM_TIMEOUT_MS) for a request whose answer
 * is meant to come late, a long poll (long-poll.ts); undefined keeps the dispatcher's.
 */
export function createForwarder(options: ForwarderOptions) {
  const { dispatcher, origin, onFailure } = options;
  const host = new URL(origin).host;
  return function forward(
    request: FastifyRequest,
    reply: FastifyReply,
    headersTimeoutMs?: number,
  ): void {
    const raw = request.raw;
    // The body is the stream from body-limit.ts (or nothing): passed on, never buffered.
    const body = (request.body as IncomingMessage | undefined) ?? null;
    dispatcher.dispatch(
      {
        origin,
        path: raw.url!,
        method: request.method,
        headers: upstreamRequestHeaders(raw, host, request.id),
        body,
        headersTimeout: headersTimeoutMs,
      },
      new Exchange(request, reply, onFailure),
    );
  };
}
