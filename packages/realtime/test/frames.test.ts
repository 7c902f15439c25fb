import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFrameParser, invalidFrameText } from '../src/frames.js';

const parse = createFrameParser(
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('subscribe'), room: z.string().min(1) }),
    z.object({ type: z.literal('ping') }),
  ]),
);

describe('createFrameParser', () => {
  it('parses a known message with its fields', () => {
    expect(parse('{"type":"subscribe","room":"queues"}')).toEqual({
      ok: true,
      message: { type: 'subscribe', room: 'queues' },
    });
    expect(parse('{"type":"ping"}')).toEqual({ ok: true, message: { type: 'ping' } });
  });

  it('tells garbage, an unknown type and bad fields apart', () => {
    expect(parse('{not json')).toEqual({ ok: false, error: invalidFrameText.json });
    expect(parse('"subscribe"')).toEqual({ ok: false, error: invalidFrameText.unknownType });
    expect(parse('{"type":"join"}')).toEqual({ ok: false, error: invalidFrameText.unknownType });
    expect(parse('{"type":"subscribe","room":""}')).toEqual({
      ok: false,
      error: invalidFrameText.fields,
    });
  });
});
