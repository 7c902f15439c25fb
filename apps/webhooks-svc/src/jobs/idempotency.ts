import { createHash } from 'node:crypto';
import { z } from 'zod';

/** An `Idempotency-Key`: 1 to 255 visible ASCII characters (no spaces, no controls). */
export const IdempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, { error: 'must be 1 to 255 visible ASCII characters' });

/**
 * The job id of a user's submission under an `Idempotency-Key`: a name-based UUID (version 8,
 * built from SHA-256 as RFC 9562 appendix B.2 shows), so a repeated request lands on the same
 * BullMQ job id on any instance, with nothing stored to remember the key. The user is part of
 * the name, so two users' equal keys never meet; JSON keeps the two parts apart unambiguously.
 */
export function idempotentJobId(userId: string, key: string): string {
  const bytes = createHash('sha256')
    .update(JSON.stringify(['conveyor:user-job', userId, key]))
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
