import { realtimeConfigShape } from '@conveyor/realtime/config';
import { parseConfig } from '@conveyor/runtime/config';
import { refuseDevelopmentSecret } from '@conveyor/service-kit/auth-config';
import { backendServiceConfigShape } from '@conveyor/service-kit/service-base';
import { z } from 'zod';

export const ConfigSchema = z
  .object({
    ...backendServiceConfigShape(3002),
    /**
     * Seconds a queue may hold waiting jobs while its running workers complete nothing before
     * `/health` calls it stalled (see src/health).
     */
    ADMIN_HEALTH_STALL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    /** Milliseconds between two `queue_stats` of the live `queues` room (spec 003: 5 s). */
    ADMIN_STREAM_QUEUE_STATS_MS: z.coerce.number().int().min(500).max(60_000).default(5_000),
    /**
     * Milliseconds between two looks at the batch tables for the live `batch` room, while
     * someone is in it. @defaultValue 1 000
     */
    ADMIN_STREAM_BATCH_POLL_MS: z.coerce.number().int().min(200).max(60_000).default(1_000),
    /** The admin socket's limits, and the tickets browsers open it with. */
    ...realtimeConfigShape,
    /**
     * Registry rows a bulk retry or cancel reads and acts on at a time; the batch row's counts
     * and cursor are written after each page, so a crash repeats at most this many.
     * @defaultValue 200
     */
    ADMIN_BULK_PAGE_SIZE: z.coerce.number().int().min(1).max(5_000).default(200),
    /**
     * The most jobs one bulk action may match; a filter that matches more is refused (400).
     * @defaultValue 100000
     */
    ADMIN_BULK_MAX_JOBS: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
    /** Milliseconds between the bulk worker's presence heartbeats. @defaultValue 5000 */
    WORKER_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    /** The deployment's version, shown in the workers list. */
    APP_VERSION: z.string().min(1).optional(),
  })
  .superRefine(refuseDevelopmentSecret);

export type Config = z.output<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseConfig(ConfigSchema, env);
}
