import { baseConfigShape, parseConfig, portVar } from '@conveyor/runtime/config';
import { z } from 'zod';

const withProtocol = (protocols: readonly string[], defaultValue: string) =>
  z
    .string()
    .default(defaultValue)
    .refine((value) => URL.canParse(value) && protocols.includes(new URL(value).protocol), {
      error: `must be a URL with ${protocols.join(' or ')}`,
    });

const seconds = (min: number, defaultValue: number) =>
  z.coerce
    .number({ error: 'must be a number of seconds' })
    .int()
    .min(min)
    .max(86_400)
    .default(defaultValue);

/** A DNS name: the right-hand side of every Message-ID this worker writes. */
const domainName =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export const ConfigSchema = z
  .object({
    ...baseConfigShape,
    /** Port of the health server (`/healthz`, `/readyz`, `/metrics`). @defaultValue 3101 */
    PORT: portVar(3101),
    HOST: z.string().min(1).default('127.0.0.1'),
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
    /** Deliveries processed at once by one instance. @defaultValue 10 */
    DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(10),
    /** Public URL of the product, for the links in emails. @defaultValue `http://127.0.0.1:3000` */
    APP_URL: withProtocol(['http:', 'https:'], 'http://127.0.0.1:3000').transform((value) =>
      value.replace(/\/+$/, ''),
    ),
    /** Domain of the Message-IDs (`<notification-<id>@domain>`). @defaultValue `conveyor.local` */
    EMAIL_ID_DOMAIN: z
      .string()
      .default('conveyor.local')
      .refine((value) => domainName.test(value), { error: 'must be a domain name' }),
    /**
     * Seconds a `pending` notification must be old before the outbox sweep enqueues it; the
     * producer's own enqueue normally comes first. @defaultValue 30
     */
    OUTBOX_GRACE_SECONDS: seconds(0, 30),
    /**
     * Seconds after which a `sending` claim is taken for a dead worker's and may be retaken.
     * @defaultValue 120
     */
    CLAIM_LEASE_SECONDS: seconds(1, 120),
  })
  .superRefine((config, context) => {
    // Connect, greeting and the message itself may each take SMTP_TIMEOUT_MS; a lease shorter
    // than that would let a second worker retake a claim whose send is still running.
    if (config.CLAIM_LEASE_SECONDS * 1_000 <= 3 * config.SMTP_TIMEOUT_MS) {
      context.addIssue({
        code: 'custom',
        path: ['CLAIM_LEASE_SECONDS'],
        message: `must be longer than three SMTP_TIMEOUT_MS (${(3 * config.SMTP_TIMEOUT_MS) / 1_000} s), the longest a send can take`,
      });
    }
  });

export type Config = z.output<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseConfig(ConfigSchema, env);
}
