import { z } from 'zod';

const withProtocol = (protocols: readonly string[], defaultValue: string) =>
  z
    .string()
    .default(defaultValue)
    .refine((value) => URL.canParse(value) && protocols.includes(new URL(value).protocol), {
      error: `must be a URL with ${protocols.join(' or ')}`,
    });

/** A DNS name: the right-hand side of every Message-ID a worker writes. */
const domainName =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** The env of a worker that sends email: the relay, the sender, and what links point at. */
export const mailConfigShape = {
  /**
   * The SMTP relay: `smtp://` (STARTTLS when offered) or `smtps://` (TLS from the start),
   * with credentials in the URL when the relay needs them.
   * @defaultValue `smtp://127.0.0.1:1025`, the development mail catcher
   */
  SMTP_URL: withProtocol(['smtp:', 'smtps:'], 'smtp://127.0.0.1:1025'),
  /** The From header of every email. @defaultValue `Conveyor <no-reply@conveyor.test>` */
  SMTP_FROM: z
    .string()
    .trim()
    .min(3)
    .default('Conveyor <no-reply@conveyor.test>')
    .refine((value) => /[^\s@<>]+@[^\s@<>]+/.test(value), {
      error: 'must contain an email address, e.g. "Conveyor <no-reply@example.com>"',
    }),
  /** Pooled SMTP connections kept open by one instance. @defaultValue 5 */
  SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
  /**
   * Milliseconds allowed to connect, to receive the greeting, and for each wait on the
   * socket; a relay slower than this is a transient failure, retried with backoff.
   * @defaultValue 10 000
   */
  SMTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** Public URL of the product, for the links in emails. @defaultValue `http://127.0.0.1:3000` */
  APP_URL: withProtocol(['http:', 'https:'], 'http://127.0.0.1:3000').transform((value) =>
    value.replace(/\/+$/, ''),
  ),
  /** Domain of the Message-IDs (`<notification-<id>@domain>`). @defaultValue `conveyor.local` */
  EMAIL_ID_DOMAIN: z
    .string()
    .default('conveyor.local')
    .refine((value) => domainName.test(value), { error: 'must be a domain name' }),
};

/** Seconds, as an env var: a whole number from `min` to a day. */
export const secondsVar = (min: number, defaultValue: number) =>
  z.coerce
    .number({ error: 'must be a number of seconds' })
    .int()
    .min(min)
    .max(86_400)
    .default(defaultValue);

/**
 * Connect, greeting and the message itself may each take SMTP_TIMEOUT_MS; a claim lease
 * shorter than three of them would let a second worker retake a claim whose send still runs.
 */
export function refineClaimLease(
  config: { CLAIM_LEASE_SECONDS: number; SMTP_TIMEOUT_MS: number },
  context: z.RefinementCtx,
): void {
  if (config.CLAIM_LEASE_SECONDS * 1_000 <= 3 * config.SMTP_TIMEOUT_MS) {
    context.addIssue({
      code: 'custom',
      path: ['CLAIM_LEASE_SECONDS'],
      message: `must be longer than three SMTP_TIMEOUT_MS (${(3 * config.SMTP_TIMEOUT_MS) / 1_000} s), the longest a send can take`,
    });
  }
}
