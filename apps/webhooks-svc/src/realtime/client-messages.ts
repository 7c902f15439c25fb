import { createFrameParser } from '@conveyor/realtime/frames';
import { z } from 'zod';

/** Job ids are UUIDs for user jobs; the bound only keeps a hostile frame from being stored. */
const JobIdSchema = z.string().min(1).max(200);

/** What a client may send (spec 004 names; `ping` for clients that cannot send a ping frame). */
export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe:job'), jobId: JobIdSchema }),
  z.object({ type: z.literal('unsubscribe:job'), jobId: JobIdSchema }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

/** Parses one frame; a bad frame is answered, never a reason to close the socket. */
export const parseClientMessage = createFrameParser(ClientMessageSchema);
