import { createFrameParser } from '@conveyor/realtime/frames';
import { z } from 'zod';

/** A room name as sent; whether it exists is the rooms' to say (an unknown one is answered). */
const RoomNameSchema = z.string().min(1).max(200);

/** What an admin client may send (spec 003's `subscribe` and `unsubscribe` with a `room`). */
export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), room: RoomNameSchema }),
  z.object({ type: z.literal('unsubscribe'), room: RoomNameSchema }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

export const parseClientMessage = createFrameParser(ClientMessageSchema);
