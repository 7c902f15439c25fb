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

const knownTypes = new Set<unknown>(
  ClientMessageSchema.options.map((option) => option.shape.type.value),
);

/** The texts of `{ type: 'error', message }` answers to a frame the server cannot use. */
export const invalidMessageText = {
  json: 'Invalid JSON',
  unknownType: 'Unknown message type',
  fields: 'Invalid message',
} as const;

export type ParsedClientMessage =
  | { ok: true; message: ClientMessage }
  | { ok: false; error: (typeof invalidMessageText)[keyof typeof invalidMessageText] };

/** Parses one frame; a bad frame is answered, never a reason to close the socket. */
export function parseClientMessage(frame: string): ParsedClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return { ok: false, error: invalidMessageText.json };
  }
  const type =
    typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  if (!knownTypes.has(type)) return { ok: false, error: invalidMessageText.unknownType };
  const parsed = ClientMessageSchema.safeParse(value);
  return parsed.success
    ? { ok: true, message: parsed.data }
    : { ok: false, error: invalidMessageText.fields };
}
