import { z } from 'zod';

/** Thrown when the environment does not satisfy an app's schema; the message names each bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Parses `env` with an app's schema. Every problem is reported, each with the variable's name,
 * so one start-up attempt shows everything that needs fixing.
 */
export function parseConfig<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined>,
): z.output<Schema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  // The first problem of each variable is the one worth reading.
  const problems = new Map<string, string>();
  for (const issue of result.error.issues) {
    const variable = issue.path.length > 0 ? issue.path.join('.') : 'environment';
    if (!problems.has(variable)) problems.set(variable, `${variable}: ${issue.message}`);
  }
  throw new ConfigError([...problems.values()]);
}

/** A TCP port number given as text. */
export const portVar = (defaultPort: number) =>
  z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65_535).default(defaultPort);

/** A boolean given as text: `true/false/1/0/yes/no`. */
export const booleanVar = (defaultValue: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], {
      error: 'must be one of true, false, 1, 0, yes, no',
    })
    .default(defaultValue ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** A comma-separated list given as text. */
export const listVar = (defaultValue = '') =>
  z
    .string()
    .default(defaultValue)
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    );

const urlWithProtocol = (protocols: readonly string[], defaultValue: string) =>
  z
    .url({ error: `must be a URL (${protocols.join(' or ')})` })
    .default(defaultValue)
    .refine((value) => URL.canParse(value) && protocols.includes(new URL(value).protocol), {
      error: `must use ${protocols.join(' or ')}`,
    });

/** Variables every app reads: environment, logging, Redis and PostgreSQL. */
export const baseConfigShape = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: urlWithProtocol(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  /**
   * Prefix of every BullMQ key. The braces make it a Redis Cluster hash tag, so all keys of
   * a queue land on one slot and Cluster needs no code change.
   * @defaultValue `{conveyor}`
   */
  BULL_PREFIX: z.string().min(1).default('{conveyor}'),
  DATABASE_URL: urlWithProtocol(
    ['postgres:', 'postgresql:'],
    'postgres://postgres@127.0.0.1:5432/conveyor',
  ),
  /** Seconds a shutdown may take before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
} as const;

/** Variables of an HTTP app. */
export const httpConfigShape = {
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Bytes a request body may have before it is refused with 413. */
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  /** Milliseconds to receive a whole request; a slow client is cut off after this. */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** Milliseconds an idle keep-alive connection stays open. */
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(72_000),
} as const;

export type BaseConfig = z.output<z.ZodObject<typeof baseConfigShape>>;
export type HttpConfig = z.output<z.ZodObject<typeof httpConfigShape>>;

/**
 * Loads the config from the environment, or prints what is wrong and exits 1: the one place a
 * process turns its environment into config.
 */
export function loadOrExit<Config>(
  load: (env: NodeJS.ProcessEnv) => Config,
  env: NodeJS.ProcessEnv,
): Config {
  try {
    return load(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
