import { parseConfig } from '@conveyor/runtime/config';
import { refuseDevelopmentSecret } from '@conveyor/service-kit/auth-config';
import { backendServiceConfigShape } from '@conveyor/service-kit/service-base';
import { z } from 'zod';

export const ConfigSchema = z
  .object(backendServiceConfigShape(3001))
  .superRefine(refuseDevelopmentSecret);

export type Config = z.output<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseConfig(ConfigSchema, env);
}
