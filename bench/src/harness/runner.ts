import { createContext } from './context.js';
import type { BenchmarkDefinition } from './definition.js';
import { machineInfo, writeResults, type BenchmarkResult } from './results.js';

export interface RunOptions {
  resultsDir: string;
  durationScale: number;
  /** Where every started process writes a `.cpuprofile`; unset, nothing is profiled. */
  cpuProfileDir?: string;
  log: (message: string) => void;
}

/**
 * Runs one benchmark, always runs its clean-ups (processes it started, deferred work), and
 * writes its results. A benchmark that throws writes nothing and rethrows.
 */
export async function runBenchmark(
  definition: BenchmarkDefinition,
  options: RunOptions,
): Promise<{ result: BenchmarkResult; files: { json: string; markdown: string } }> {
  const { ctx, state } = createContext(definition.name, {
    durationScale: options.durationScale,
    ...(options.cpuProfileDir === undefined ? {} : { cpuProfileDir: options.cpuProfileDir }),
    log: (message) => options.log(`[${definition.name}] ${message}`),
  });
  const startedAt = new Date();
  const started = performance.now();
  try {
    await definition.run(ctx);
  } finally {
    for (const cleanup of state.cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        options.log(`[${definition.name}] clean-up failed: ${(error as Error).message}`);
      }
    }
  }
  const result: BenchmarkResult = {
    name: definition.name,
    description: definition.description,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    machine: machineInfo(startedAt),
    measurements: state.measurements,
    details: state.details,
    passed: state.measurements.every((m) => m.pass !== false),
  };
  return { result, files: await writeResults(options.resultsDir, result) };
}
