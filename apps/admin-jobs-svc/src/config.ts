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
  })
  .superRefine(refuseDevelopmentSecret);

export type Config = z.output<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseConfig(ConfigSchema, env);
}
