import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher } from 'undici';

/**
 * Bytes of a response read at most. A body up to this size is read to its end so the
 * connection goes back to the pool; a longer one is cut off here (and its connection closed),
 * so a receiver streaming without end costs us nothing.
 */
export const RESPONSE_READ_BYTES = 64 * 1024;
/** Bytes of a response body stored with the attempt. */
export const RESPONSE_STORED_BYTES = 4 * 1024;

/** Text PostgreSQL can store: no NUL, no lone UTF-16 surrogate (jsonb refuses both). */
export function storableText(text: string): string {
  return text.replace(
    /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    '',
  );
}

/** The first stored bytes as text: whole characters only, so never longer than the cap. */
const storedText = (bytes: Buffer) =>
  storableText(new StringDecoder('utf8').write(bytes.subarray(0, RESPONSE_STORED_BYTES)));

type Body = Dispatcher.ResponseData['body'];

/** Streams up to the read cap, keeping the stored part; stops at the deadline with what it has. */
async function readStreamed(body: Body): Promise<string> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let readBytes = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (keptBytes < RESPONSE_STORED_BYTES) {
        kept.push(chunk.subarray(0, RESPONSE_STORED_BYTES - keptBytes));
        keptBytes += kept.at(-1)!.length;
      }
      readBytes += chunk.length;
      if (readBytes >= RESPONSE_READ_BYTES) break;
    }
  } catch {
    // The deadline, or the receiver hung up: what was read is what there is.
  } finally {
    if (readBytes >= RESPONSE_READ_BYTES) body.destroy();
  }
  return storedText(Buffer.concat(kept));
}

/**
 * Reads a response body within the caps and returns its first {@link RESPONSE_STORED_BYTES}
 * as text. A body whose announced length fits the read cap (the usual short answer) is taken
 * whole in one go; any other is streamed and cut at {@link RESPONSE_READ_BYTES}.
 */
export async function readResponseBody(body: Body, contentLength: unknown): Promise<string> {
  const announced = typeof contentLength === 'string' ? Number(contentLength) : NaN;
  if (!(Number.isSafeInteger(announced) && announced <= RESPONSE_READ_BYTES)) {
    return readStreamed(body);
  }
  try {
    const bytes = await body.bytes();
    return storedText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    return '';
  }
}
