import type { FastifyReply, FastifyRequest } from 'fastify';

/** What the timeout of a long poll is made of (config.ts). */
export interface LongPollTimeouts {
  /** UPSTREAM_TIMEOUT_MS: what any answer may take, here on top of the wait. */
  upstreamTimeoutMs: number;
  /** UPSTREAM_CONNECT_TIMEOUT_MS: the headers timeout only starts once the request is sent. */
  connectTimeoutMs: number;
  /** LONG_POLL_MAX_MS: the longest wait a caller may ask for. */
  maxWaitMs: number;
}

/** Time to write the answer (or the 504) once the gateway has it, on a client connection. */
const ANSWER_SLACK_MS = 1_000;

/**
 * How long the gateway waits for the service's answer to a long poll: the wait the caller asked
 * for in `?timeout=` (seconds, read with `Number` as the service's own schema coerces it), at
 * most `maxWaitMs`, plus UPSTREAM_TIMEOUT_MS. After the wait the service still does the work of
 * an ordinary answer (it reads the job again), which is what UPSTREAM_TIMEOUT_MS bounds; and so a
 * long poll never has less time than any other route. A missing or unreadable `timeout` gets the
 * longest wait: the default is the service's to choose (30 s today), and a value the service
 * refuses is answered at once with 400 anyway.
 */
export function longPollTimeoutMs(query: unknown, timeouts: LongPollTimeouts): number {
  const requested = (query as Record<string, unknown>).timeout;
  const seconds = typeof requested === 'string' ? Number(requested) : Number.NaN;
  const waitMs =
    seconds > 0 ? Math.min(Math.ceil(seconds * 1_000), timeouts.maxWaitMs) : timeouts.maxWaitMs;
  return waitMs + timeouts.upstreamTimeoutMs;
}

/**
 * Prepares a long poll for forwarding and returns its upstream headers timeout. The server cuts
 * a client connection idle for REQUEST_TIMEOUT_MS (fastify's connectionTimeout, 30 s by
 * default), and not a byte crosses it while the service holds the answer back, so the gateway
 * itself would cut a 60 s wait at 30 s. The socket's timeout is raised until the gateway must
 * have answered (connected, then the headers timeout), and put back when the answer is sent.
 */
export function holdForLongPoll(
  request: FastifyRequest,
  reply: FastifyReply,
  timeouts: LongPollTimeouts,
): number {
  const headersTimeoutMs = longPollTimeoutMs(request.query, timeouts);
  const holdMs = timeouts.connectTimeoutMs + headersTimeoutMs + ANSWER_SLACK_MS;
  const socket = request.raw.socket as typeof request.raw.socket | null;
  const previous = socket?.timeout;
  if (socket && previous !== undefined && previous > 0 && previous < holdMs) {
    socket.setTimeout(holdMs);
    // Put back as the answer finishes, ahead of Node's own 'finish' handler: that one sets the
    // keep-alive timeout of a connection left idle, and a request pipelined behind this one
    // gets the server's timeout again rather than the long poll's.
    reply.raw.prependOnceListener('finish', () => {
      if (socket.timeout === holdMs) socket.setTimeout(previous);
    });
  }
  return headersTimeoutMs;
}
