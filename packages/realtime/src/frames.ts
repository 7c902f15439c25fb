import type { z } from 'zod';

/** The texts of `{ type: 'error', message }` answers to a frame the server cannot use. */
export const invalidFrameText = {
  json: 'Invalid JSON',
  unknownType: 'Unknown message type',
  fields: 'Invalid message',
} as const;

export type InvalidFrameText = (typeof invalidFrameText)[keyof typeof invalidFrameText];

export type ParsedFrame<Message> =
  { ok: true; message: Message } | { ok: false; error: InvalidFrameText };

/** A union of client messages told apart by a literal `type`. */
type MessageUnion = z.ZodDiscriminatedUnion<z.ZodObject<{ type: z.ZodLiteral<string> }>[], 'type'>;

/**
 * The parser of a socket's client frames: JSON, a known `type`, then the fields of that type.
 * The three failures answer differently, so a client learns whether it sent garbage, a message
 * this server does not know (a newer client, say), or a known message with bad fields.
 */
export function createFrameParser<Schema extends MessageUnion>(schema: Schema) {
  const knownTypes = new Set<unknown>(schema.options.map((option) => option.shape.type.value));

  return function parseFrame(frame: string): ParsedFrame<z.output<Schema>> {
    let value: unknown;
    try {
      value = JSON.parse(frame);
    } catch {
      return { ok: false, error: invalidFrameText.json };
    }
    const type =
      typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
    if (!knownTypes.has(type)) return { ok: false, error: invalidFrameText.unknownType };
    const parsed = schema.safeParse(value);
    return parsed.success
      ? { ok: true, message: parsed.data }
      : { ok: false, error: invalidFrameText.fields };
  };
}
