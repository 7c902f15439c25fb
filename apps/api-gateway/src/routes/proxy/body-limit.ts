import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { errorText, HttpError } from '@conveyor/service-kit/errors';
import type { FastifyRequest } from 'fastify';

const bodyTooLarge = () => new HttpError(413, errorText.payloadTooLarge);

/** Passes a chunked body through while it stays within the limit; errors with 413 past it. */
class LengthLimit extends Transform {
  private received = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.limit) callback(bodyTooLarge());
    else callback(null, chunk);
  }
}

/**
 * Content-type parser of the proxied routes: the body stream goes on to the service untouched,
 * never parsed or buffered by the gateway. Fastify applies no bodyLimit to a parser like this,
 * so the limit is enforced here: by Content-Length before a byte is read, and while streaming
 * for a chunked body (the proxy then answers the 413; see upstream-errors.ts).
 */
export function passBodyThrough(limit: number) {
  return function parseNothing(
    request: FastifyRequest,
    payload: IncomingMessage,
    done: (error: Error | null, body?: unknown) => void,
  ): void {
    const declared = request.headers['content-length'];
    if (declared !== undefined) {
      if (Number(declared) > limit) done(bodyTooLarge());
      else done(null, payload);
      return;
    }
    const limited = new LengthLimit(limit);
    payload.on('error', (error) => limited.destroy(error));
    done(null, payload.pipe(limited));
  };
}
