import { mailConfigShape, refineClaimLease, secondsVar } from '@conveyor/mail/config';
import { baseConfigShape, parseConfig, portVar } from '@conveyor/runtime/config';
import { z } from 'zod';

export const ConfigSchema = z
  .object({
    ...baseConfigShape,
    /** Port of the health server (`/healthz`, `/readyz`, `/metrics`). @defaultValue 3101 */
    PORT: portVar(3101),
    HOST: z.string().min(1).default('127.0.0.1'),
    ...mailConfigShape,
    /** Deliveries processed at once by one instance. @defaultValue 10 */
    DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(10),
    /**
     * Seconds a `pending` notification must be old before the outbox sweep enqueues it; the
     * producer's own enqueue normally comes first. @defaultValue 30
     */
    OUTBOX_GRACE_SECONDS: secondsVar(0, 30),
    /**
     * Seconds after which a `sending` claim is taken for a dead worker's and may be retaken.
     * @defaultValue 120
     */
    CLAIM_LEASE_SECONDS: secondsVar(1, 120),
  })
  .superRefine(refineClaimLease);

export type Config = z.output<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseConfig(ConfigSchema, env);
}
