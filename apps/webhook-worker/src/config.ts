import { baseConfigShape, parseConfig, portVar } from '@conveyor/runtime/config';
import { webhookTargetConfigShape } from '@conveyor/webhooks/config';
import { z } from 'zod';

const int = (min: number, max: number, defaultValue: number) =>
  z.coerce.number().int().min(min).max(max).default(defaultValue);

/** Milliseconds as a comma-separated list (`5000,30000,120000`). */
const delaysVar = z
  .string()
  .optional()
  .transform((value, context) => {
    if (value === undefined || value.trim() === '') return undefined;
    const delays = value.split(',').map((item) => Number(item.trim()));
    if (delays.some((delay) => !Number.isInteger(delay) || delay < 0 || delay > 86_400_000)) {
      context.addIssue({
        code: 'custom',
        message: 'must be a comma-separated list of milliseconds (0 to 86400000)',
      });
      return z.NEVER;
    }
    return delays;
  });

export const ConfigSchema = z
  .object({
    ...baseConfigShape,
    /** Port of the health server (`/healthz`, `/readyz`, `/metrics`). @defaultValue 3103 */
    PORT: portVar(3103),
    HOST: z.string().min(1).default('127.0.0.1'),
    ...webhookTargetConfigShape,
    /**
     * This instance's name in the event streams' consumer group and on the deliveries it
     * claims; stable across restarts (a pod or host name), so a restarted instance takes its
     * own work back at once. @defaultValue the host name and `webhook-worker`
     */
    WORKER_NAME: z.string().min(1).max(200).optional(),
    /** Requests in flight at once across all endpoints, per instance. @defaultValue 200 */
    WEBHOOK_CONCURRENCY: int(1, 10_000, 200),
    /**
     * Requests in flight at once to one endpoint, per instance: a slow endpoint holds at most
     * this many of the instance's slots, never the others'. @defaultValue 10
     */
    WEBHOOK_ENDPOINT_CONCURRENCY: int(1, 1_000, 10),
    /** Milliseconds one attempt may take, response included (spec 004: 10 s). @defaultValue 10 000 */
    WEBHOOK_TIMEOUT_MS: int(100, 120_000, 10_000),
    /** Retries after the first attempt (spec 004: up to 3). @defaultValue 3 */
    WEBHOOK_MAX_RETRIES: int(0, 20, 3),
    /**
     * Delay before the first retry; each further retry waits `WEBHOOK_RETRY_FACTOR` times the
     * one before, with ±20% jitter. @defaultValue 5 000
     */
    WEBHOOK_RETRY_BASE_MS: int(0, 86_400_000, 5_000),
    /** @defaultValue 6 (5 s, 30 s, 3 min) */
    WEBHOOK_RETRY_FACTOR: z.coerce.number().min(1).max(100).default(6),
    /**
     * The retry delays spelled out, overriding base and factor (`5000,30000,180000`); retries
     * past the end of the list wait its last delay. Jitter applies to them too.
     */
    WEBHOOK_RETRY_DELAYS_MS: delaysVar,
    /**
     * Fraction by which each retry delay is moved at random either way, so the deliveries that
     * failed together (an endpoint's outage) do not all come back at the same instant.
     * @defaultValue 0.2 (±20%)
     */
    WEBHOOK_RETRY_JITTER: z.coerce.number().min(0).max(1).default(0.2),
    /** Longest `Retry-After` honoured on a 429 or 503, in milliseconds. @defaultValue 3 600 000 */
    WEBHOOK_RETRY_AFTER_MAX_MS: int(0, 86_400_000, 3_600_000),
    /**
     * Hours an endpoint may fail without a single success before it is disabled and its owner
     * notified. @defaultValue 120 (5 days)
     */
    WEBHOOK_DISABLE_AFTER_HOURS: z.coerce.number().min(0).max(8_760).default(120),
    /**
     * Milliseconds a claimed delivery stays this instance's before another may take it over:
     * longer than a full round of attempts in hand. @defaultValue 120 000
     */
    WEBHOOK_CLAIM_LEASE_MS: int(1_000, 3_600_000, 120_000),
    /** Milliseconds between looks for due deliveries when there was nothing. @defaultValue 200 */
    WEBHOOK_POLL_MS: int(10, 60_000, 200),
    /** Days delivered messages and their attempt logs are kept. @defaultValue 30 */
    WEBHOOK_RETENTION_DAYS: int(1, 3_650, 30),
  })
  .superRefine((config, context) => {
    if (config.WEBHOOK_CLAIM_LEASE_MS <= 2 * config.WEBHOOK_TIMEOUT_MS) {
      context.addIssue({
        code: 'custom',
        path: ['WEBHOOK_CLAIM_LEASE_MS'],
        message: `must be longer than two WEBHOOK_TIMEOUT_MS (${2 * config.WEBHOOK_TIMEOUT_MS} ms): a claim waits for at most one send before its own`,
      });
    }
  });

export type Config = z.output<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseConfig(ConfigSchema, env);
}
