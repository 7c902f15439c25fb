import { randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/**
 * A new signing secret in the Standard Webhooks form: `whsec_` and the base64 of 32 random
 * bytes (the specification asks for 24 to 64).
 */
export function generateSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

/** The HMAC key a `whsec_` secret stands for. */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}
