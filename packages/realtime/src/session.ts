import type { Claims } from '@conveyor/service-kit/claims';
import { errorText, isDependencyOutage } from '@conveyor/service-kit/errors';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { CloseCode, CloseReason } from './close-codes.js';
import { runAt } from './deadline.js';
import type { ParsedFrame } from './frames.js';

/** What every socket of the platform may be sent, whatever else its protocol has. */
export type SessionFrame =
  { type: 'ready'; expiresAt: string } | { type: 'pong' } | { type: 'error'; message: string };

export interface SessionOptions<Message> {
  /** The socket's identity; it closes (4001) when the token would expire. */
  claims: Claims;
  /** REALTIME_MAX_BUFFERED_BYTES: the unsent backlog past which the client is cut off (1013). */
  maxBufferedBytes: number;
  log: FastifyBaseLogger;
  parse: (frame: string) => ParsedFrame<Message>;
  /** Handles one parsed client message; the next waits until it settles. */
  handle: (message: Message) => Promise<void> | void;
}

export interface Session<Out extends { type: string }> {
  /** Sends a message unless the socket closed; cuts a client off that stopped reading. */
  send(message: Out | SessionFrame): void;
}

/**
 * The life of one authenticated socket, the same for every socket protocol of the platform:
 * messages out with a backlog bound, client messages in one at a time, and the close at token
 * expiry. The protocol (what to send, what a message means) is the caller's.
 *
 * Order: every send is synchronous, so messages leave in the order they are sent. Client
 * messages are handled one after another (a handler that awaits holds the next back), so a
 * subscribe followed by an unsubscribe always ends unsubscribed.
 */
export function openSession<Message, Out extends { type: string }>(
  socket: WebSocket,
  options: SessionOptions<Message>,
): Session<Out> {
  const userId = options.claims.sub;

  function send(message: Out | SessionFrame): void {
    if (socket.readyState !== socket.OPEN) return;
    // A client that stopped reading leaves every message queued in this process. Past the
    // limit it is cut off, so it can hold neither memory nor the others' delivery: no sender
    // ever waits for a socket. The close frame waits behind the backlog; ws destroys the
    // socket if the close handshake has not finished after its close timeout (30 s).
    if (socket.bufferedAmount > options.maxBufferedBytes) {
      options.log.info(
        { userId, bufferedAmount: socket.bufferedAmount },
        'realtime client too slow',
      );
      socket.close(CloseCode.tooSlow, CloseReason.tooSlow);
      return;
    }
    socket.send(JSON.stringify(message));
  }

  // Messages are handled one at a time, in arrival order. While any wait (a lookup) the socket
  // stops reading, so a client flooding the server queues in its own TCP window, not here.
  let pending: Promise<void> = Promise.resolve();
  let waiting = 0;
  // ws hands text and binary frames over as one Buffer (binaryType `nodebuffer`, its default).
  socket.on('message', (data: Buffer) => {
    waiting += 1;
    if (waiting === 1) socket.pause();
    pending = pending
      .then(() => {
        const parsed = options.parse(data.toString());
        // A bad frame is answered, never a reason to close: the client may be a newer version.
        if (!parsed.ok) return send({ type: 'error', message: parsed.error });
        return options.handle(parsed.message);
      })
      .catch((error: unknown) => {
        options.log.warn({ err: error, userId }, 'realtime message failed');
        send({
          type: 'error',
          message: isDependencyOutage(error) ? errorText.unavailable : errorText.internal,
        });
      })
      .finally(() => {
        waiting -= 1;
        if (waiting === 0) socket.resume();
      });
  });

  const expiresAt = options.claims.exp * 1000;
  const cancelExpiry = runAt(expiresAt, () =>
    socket.close(CloseCode.tokenExpired, CloseReason.tokenExpired),
  );
  socket.once('close', cancelExpiry);

  return { send };
}

/** The first message of every socket: it is open, and until when its token holds. */
export function readyFrame(claims: Claims): SessionFrame {
  return { type: 'ready', expiresAt: new Date(claims.exp * 1000).toISOString() };
}
