import { fileURLToPath } from 'node:url';
import { parseConfig, portVar } from '@conveyor/runtime/config';
import { z } from 'zod';

/** `bench/results/`, found from this file so `pnpm bench` works from any directory. */
export const defaultResultsDir = fileURLToPath(new URL('../results', import.meta.url));

/** What `pnpm bench` reads from the environment. */
export const BenchConfigSchema = z.object({
  /** Where `<name>.json` and `<name>.md` go. @defaultValue `bench/results` */
  BENCH_RESULTS_DIR: z.string().min(1).default(defaultResultsDir),
  /**
   * Multiplies every load phase's duration: `0.5` for a quick look, `2` for steadier figures.
   * @defaultValue 1
   */
  BENCH_DURATION_SCALE: z.coerce.number().positive().max(10).default(1),
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

/** The environment this process was started with; children inherit it. */
export function processEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}
