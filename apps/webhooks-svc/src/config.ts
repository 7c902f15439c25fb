import { realtimeConfigShape } from '@conveyor/realtime/config';
import { booleanVar, parseConfig } from '@conveyor/runtime/config';
import { refuseDevelopmentSecret } from '@conveyor/service-kit/auth-config';
import { backendServiceConfigShape } from '@conveyor/service-kit/service-base';
import { webhookTargetConfigShape } from '@conveyor/webhooks/config';
import { z } from 'zod';

const count = (min: number, max: number, defaultValue: number) =>
  z.coerce.number().int().min(min).max(max).default(defaultValue);

export const ConfigSchema = z
  .object({
    ...backendServiceConfigShape(3003),
    /**
     * Seconds `GET /api/jobs/:jobId/wait` may hold a request (spec 003 long poll).
     * @defaultValue 60
     */
    JOB_WAIT_MAX_SECONDS: count(1, 60, 60),
    /**
     * Whether this instance also writes the job registry (`job_runs`) from BullMQ's event
     * streams. Every instance may: one at a time leads (a lease in Redis) and the others take
     * over when it dies. Turn it off where another process runs the consumer. @defaultValue true
     */
    JOB_REGISTRY_CONSUMER: booleanVar(true),
    /**
     * Days `job_runs` keeps a finished job; an instance running the registry consumer prunes
     * older ones at start and every 6 hours. Unfinished jobs are kept however old. The bound
     * only keeps the cut-off a valid date. @defaultValue 90
     */
    JOB_RUNS_RETENTION_DAYS: count(1, 36_500, 90),
    /** The `/api/realtime` sockets' limits and tickets. */
    ...realtimeConfigShape,
    /**
     * Where webhook endpoints may point (`WEBHOOK_ALLOW_HTTP`, `WEBHOOK_ALLOWED_NETWORKS`): the
     * same policy the webhook worker applies at every delivery.
     */
    ...webhookTargetConfigShape,
    /**
     * Webhook endpoints one user may register; the legacy `webhookUrl` endpoint does not count.
     * @defaultValue 20
     */
    WEBHOOK_MAX_ENDPOINTS_PER_USER: count(1, 1_000, 20),
    /**
     * Hours the secret replaced by `POST /api/webhooks/:id/rotate-secret` keeps signing beside
     * the new one, so receivers can switch over without missing a delivery. @defaultValue 24
     */
    WEBHOOK_SECRET_GRACE_HOURS: count(0, 720, 24),
  })
  .superRefine(refuseDevelopmentSecret);

export type Config = z.output<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseConfig(ConfigSchema, env);
}
