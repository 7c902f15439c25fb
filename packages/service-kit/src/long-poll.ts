import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/**
 * Long polls (spec 003): a request held until something happens or a timeout passes. The
 * `timeout` query parameter of every long poll, in seconds: up to `maxSeconds`, 30 by default.
 */
export const longPollQuerySchema = (maxSeconds: number) =>
  z.object({
    timeout: z.coerce
      .number()
      .positive()
      .max(maxSeconds)
      .default(Math.min(30, maxSeconds))
      .describe(`Seconds to wait at most (default 30, at most ${maxSeconds})`),
  });

/** Seconds beyond the wait itself that the connection may stay idle while the answer is sent. */
const MARGIN_MS = 5_000;

/** A held request: `signal` aborts when the client goes away; `release` ends the hold. */
export interface HeldConnection {
  signal: AbortSignal;
  release: () => void;
}

/**
 * Lets a request be held for `holdMs` without a byte on the wire, and tells when the client goes
 * away. The server cuts a connection idle for REQUEST_TIMEOUT_MS (fastify's connectionTimeout,
 * 30 s by default), shorter than a long poll may last; the connection's own timeout is raised
 * for this request and put back by `release`.
 */
export function holdConnection(
  request: FastifyRequest,
  reply: FastifyReply,
  holdMs: number,
): HeldConnection {
  const gone = new AbortController();
  const onClose = () => gone.abort();
  // A response closes before it has been sent only when its connection went away.
  reply.raw.once('close', onClose);
  const socket = request.raw.socket as (typeof request.raw.socket & { timeout?: number }) | null;
  const previous = socket?.timeout;
  if (socket && previous !== undefined && previous > 0 && previous < holdMs + MARGIN_MS) {
    socket.setTimeout(holdMs + MARGIN_MS);
  }
  return {
    signal: gone.signal,
    release() {
      reply.raw.off('close', onClose);
      if (socket && previous !== undefined && socket.timeout !== previous) {
        socket.setTimeout(previous);
      }
    },
  };
}
