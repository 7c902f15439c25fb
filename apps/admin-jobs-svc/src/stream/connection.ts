import type { Claims } from '@conveyor/service-kit/claims';
import { openSession, readyFrame } from '@conveyor/realtime/session';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { parseClientMessage, type ClientMessage } from './client-messages.js';
import type { RoomHub } from './room-hub.js';
import { parseRoom, type Room } from './rooms.js';
import type { RoomMember, StreamMessage } from './server-messages.js';

export interface StreamConnectionOptions {
  rooms: Pick<RoomHub, 'join' | 'leave'>;
  /** REALTIME_MAX_BUFFERED_BYTES. */
  maxBufferedBytes: number;
  log: FastifyBaseLogger;
}

/** The error an unknown room (`tasks:<not a queue>`, a typo) is answered with. */
export const unknownRoomText = 'Unknown room';

/**
 * One admin socket: it joins and leaves rooms at the client's word and hears what the rooms
 * broadcast. The session (@conveyor/realtime) cuts it off when it reads too slowly, so a slow
 * dashboard never holds the room's other members back, and closes it at the token's expiry.
 */
export function openStreamConnection(
  socket: WebSocket,
  claims: Claims,
  options: StreamConnectionOptions,
): void {
  const joined = new Set<Room>();
  const member: RoomMember = { send: (message) => session.send(message) };

  function handle(message: ClientMessage): void {
    if (message.type === 'ping') return session.send({ type: 'pong' });
    const room = parseRoom(message.room);
    if (room === undefined) {
      return session.send({ type: 'error', message: unknownRoomText, room: message.room });
    }
    if (message.type === 'subscribe') {
      joined.add(room);
      // Acknowledged before the room's first message, which may follow at once.
      session.send({ type: 'subscribed', room });
      options.rooms.join(member, room);
      return;
    }
    joined.delete(room);
    options.rooms.leave(member, room);
    session.send({ type: 'unsubscribed', room });
  }

  const session = openSession<ClientMessage, StreamMessage>(socket, {
    claims,
    maxBufferedBytes: options.maxBufferedBytes,
    log: options.log,
    parse: parseClientMessage,
    handle,
  });
  socket.once('close', () => {
    for (const room of joined) options.rooms.leave(member, room);
    joined.clear();
  });
  session.send(readyFrame(claims));
}
