import { mailConfigShape, refineClaimLease, secondsVar } from '@conveyor/mail/config';
import { baseConfigShape, parseConfig, portVar } from '@conveyor/runtime/config';
import { z } from 'zod';

export const ConfigSchema = z
  .object({
    ...baseConfigShape,
    /** Port of the health server (`/healthz`, `/readyz`, `/metrics`). @defaultValue 3102 */
    PORT: portVar(3102),
    HOST: z.string().min(1).default('127.0.0.1'),
    ...mailConfigShape,
    /**
     * Users per chunk job: a run of 100 000 users is 200 jobs, spread over every instance.
     * @defaultValue 500
     */
    DIGEST_CHUNK_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
    /** Chunk jobs one instance works on at once. @defaultValue 2 */
    DIGEST_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(2),
    /**
     * Hours back a tick plans when the last planned hour is older (every worker was down):
     * a missed window is sent late, not skipped. Eight days covers a missed WEEKLY run.
     * @defaultValue 192
     */
    DIGEST_CATCH_UP_HOURS: z.coerce.number().int().min(1).max(744).default(192),
    /** Notifications listed per type in one email; the rest is counted, with a link. @defaultValue 10 */
    DIGEST_ITEMS_PER_TYPE: z.coerce.number().int().min(1).max(100).default(10),
    /**
     * Seconds after which a `sending` digest is taken for a dead worker's. It is then marked
     * failed, not sent again: whether the relay took it is unknown, and a digest goes at most
     * once. @defaultValue 120
     */
    CLAIM_LEASE_SECONDS: secondsVar(1, 120),
  })
  .superRefine(refineClaimLease);

export type Config = z.output<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseConfig(ConfigSchema, env);
}
