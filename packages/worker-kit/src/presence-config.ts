import { parseConfig } from '@conveyor/runtime/config';
import { z } from 'zod';

/**
 * The presence settings every worker process reads besides its app's own config. The version
 * is the deployment's (`APP_VERSION`), else the package's when started through a package
 * script.
 */
const PresenceConfigSchema = z
  .object({
    WORKER_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    APP_VERSION: z.string().min(1).optional(),
    npm_package_version: z.string().min(1).optional(),
  })
  .transform((env) => ({
    WORKER_HEARTBEAT_MS: env.WORKER_HEARTBEAT_MS,
    version: env.APP_VERSION ?? env.npm_package_version ?? 'unknown',
  }));

export type PresenceConfig = z.output<typeof PresenceConfigSchema>;

export function presenceConfigOf(env: Record<string, string | undefined>): PresenceConfig {
  return parseConfig(PresenceConfigSchema, env);
}
