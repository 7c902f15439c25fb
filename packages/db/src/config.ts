import { z } from 'zod';

/** The database scripts (migrate, seed) read only the connection URL. */
export const DbScriptConfigSchema = z.object({
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/conveyor'),
});

export function loadDbScriptConfig(env: Record<string, string | undefined>) {
  return DbScriptConfigSchema.parse(env);
}
