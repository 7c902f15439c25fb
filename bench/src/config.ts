import { fileURLToPath } from 'node:url';
import { defaultTestServerUrl } from '@conveyor/db/testing';
import { parseConfig, portVar } from '@conveyor/runtime/config';
import { z } from 'zod';

/** `bench/results/`, found from this file so `pnpm bench` works from any directory. */
export const defaultResultsDir = fileURLToPath(new URL('../results', import.meta.url));

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A server URL on this machine: benchmarks put heavy load on it, so never a remote one. */
const localUrl = (protocols: readonly string[], defaultValue: string) =>
  z
    .string()
    .default(defaultValue)
    .refine(
      (value) =>
        URL.canParse(value) &&
        protocols.includes(new URL(value).protocol) &&
        loopbackHosts.has(new URL(value).hostname),
      { error: `must be a ${protocols.join(' or ')} URL on 127.0.0.1` },
    );

/** What `pnpm bench` reads from the environment. */
export const BenchConfigSchema = z.object({
  /** Where `<name>.json` and `<name>.md` go. @defaultValue `bench/results` */
  BENCH_RESULTS_DIR: z.string().min(1).default(defaultResultsDir),
  /**
   * Multiplies every load phase's duration: `0.5` for a quick look, `2` for steadier figures.
   * @defaultValue 1
   */
  BENCH_DURATION_SCALE: z.coerce.number().positive().max(10).default(1),
  /**
   * A directory where every process a benchmark starts writes a V8 CPU profile
   * (`.cpuprofile`, for Chrome DevTools or speedscope) when it stops. Unset: no profiling.
   */
  BENCH_CPU_PROFILE_DIR: z.string().min(1).optional(),
  /**
   * Redis of the benchmarks' processes; each benchmark uses a BullMQ prefix of its own there
   * and deletes its keys afterwards. @defaultValue `redis://127.0.0.1:6379`
   */
  BENCH_REDIS_URL: localUrl(['redis:'], 'redis://127.0.0.1:6379'),
  /**
   * PostgreSQL server (any database on it) where each benchmark creates a database of its own
   * from the migrated template and drops it afterwards.
   * @defaultValue `postgres://postgres@127.0.0.1:5432/postgres`
   */
  BENCH_POSTGRES_URL: localUrl(['postgres:', 'postgresql:'], defaultTestServerUrl),
  /**
   * The delivery benchmark's DELIVERY_CONCURRENCY, also the concurrency of its raw BullMQ
   * baseline. Unset: the delivery-worker's own default.
   */
  BENCH_DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).optional(),
  /**
   * The SMTP_POOL_SIZE of the delivery and digest benchmarks' workers, also the pool of their
   * raw SMTP baselines. Unset: the workers' own default.
   */
  BENCH_SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(100).optional(),
  /**
   * Users of the digest benchmark's DAILY run (10 unread notifications each), also the emails
   * of its raw SMTP baseline: fewer for a quick look. @defaultValue 20 000
   */
  BENCH_DIGEST_USERS: z.coerce.number().int().min(100).max(100_000).default(20_000),
  /**
   * The ffmpeg and ffprobe of the preview benchmark, read as preview-worker reads them: its
   * direct runs and the worker it starts use the same binaries. Unset: the ones the npm
   * installer packages ship (`@conveyor/media/binaries`; blank counts as unset).
   */
  FFMPEG_PATH: z.string().optional(),
  FFPROBE_PATH: z.string().optional(),
});

export type BenchConfig = z.output<typeof BenchConfigSchema>;

export function loadBenchConfig(env: Record<string, string | undefined>): BenchConfig {
  return parseConfig(BenchConfigSchema, env);
}

/** What a fixture server (a tiny server a benchmark starts as a child process) reads. */
export const FixtureConfigSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: portVar(0),
});

export function loadFixtureConfig(env: Record<string, string | undefined>) {
  return parseConfig(FixtureConfigSchema, env);
}

/** The SMTP sink fixture: an SMTP port that accepts everything, an HTTP port that counts it. */
export const SmtpSinkConfigSchema = FixtureConfigSchema.extend({
  SMTP_PORT: portVar(0),
});

export function loadSmtpSinkConfig(env: Record<string, string | undefined>) {
  return parseConfig(SmtpSinkConfigSchema, env);
}

/** The no-op BullMQ worker fixture: the raw-queue baseline of the delivery benchmark. */
export const NoopWorkerConfigSchema = FixtureConfigSchema.extend({
  REDIS_URL: localUrl(['redis:'], 'redis://127.0.0.1:6379'),
  BULL_PREFIX: z.string().min(1),
  QUEUE: z.string().min(1),
  CONCURRENCY: z.coerce.number().int().min(1).max(1_000),
});

export function loadNoopWorkerConfig(env: Record<string, string | undefined>) {
  return parseConfig(NoopWorkerConfigSchema, env);
}

/** The environment this process was started with; children inherit it. */
export function processEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}

/**
 * The queue traffic fixture: fills each queue with finished, waiting and delayed jobs, then
 * keeps jobs flowing through it (a producer and a rate-limited no-op worker per queue).
 */
export const QueueTrafficConfigSchema = FixtureConfigSchema.extend({
  REDIS_URL: localUrl(['redis:'], 'redis://127.0.0.1:6379'),
  BULL_PREFIX: z.string().min(1),
  /** Comma-separated queue names. */
  QUEUES: z
    .string()
    .min(1)
    .transform((value) => value.split(',').filter((name) => name.length > 0)),
  /** Jobs each queue gets to finish before the traffic starts; every fifth fails. */
  SEED_FINISHED: z.coerce.number().int().min(0).max(100_000).default(2_000),
  /** Jobs each queue then holds waiting, and delayed by an hour or more. */
  SEED_WAITING: z.coerce.number().int().min(0).max(100_000).default(2_000),
  SEED_DELAYED: z.coerce.number().int().min(0).max(100_000).default(1_000),
  /** Jobs per second and queue, both added and processed, so the backlog stays as it is. */
  RATE: z.coerce.number().int().min(1).max(1_000).default(20),
});

export function loadQueueTrafficConfig(env: Record<string, string | undefined>) {
  return parseConfig(QueueTrafficConfigSchema, env);
}
