import type { BenchContext } from './context.js';

/** One benchmark: `bench/src/benchmarks/<name>.bench.ts` exports it as its default. */
export interface BenchmarkDefinition {
  /** kebab-case, the same as the file name; `pnpm bench <name>` runs it. */
  name: string;
  /** One sentence: what is measured against what. */
  description: string;
  run: (ctx: BenchContext) => Promise<void>;
}

/** Types a benchmark definition; `export default defineBenchmark({ ... })`. */
export function defineBenchmark(definition: BenchmarkDefinition): BenchmarkDefinition {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(definition.name)) {
    throw new Error(`benchmark name "${definition.name}" must be kebab-case`);
  }
  return definition;
}
