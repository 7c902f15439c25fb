import { createHmac } from 'node:crypto';
import { secretKey } from './secrets.js';

/** The headers of one attempt of a Standard Webhooks delivery (a type, so it is a header record). */
export type SignedHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with one secret. */
export function signatureOf(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`);
  return `v1,${mac.digest('base64')}`;
}

/**
 * Signs one attempt: `webhook-id` stays the message's across retries, `webhook-timestamp` is the
 * attempt's (seconds), and `webhook-signature` holds one signature per secret, space-separated,
 * so during a rotation a receiver that knows either secret verifies.
 */
export function signedHeaders(
  secrets: readonly string[],
  id: string,
  body: string,
  now: Date = new Date(),
): SignedHeaders {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets
      .map((secret) => signatureOf(secret, id, timestamp, body))
      .join(' '),
  };
}
