import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchmarkDefinition } from './definition.js';

/** Where the benchmarks live: one `<name>.bench.ts` each. */
export const benchmarksDir = fileURLToPath(new URL('../benchmarks', import.meta.url));

const suffix = '.bench.ts';

/** Every benchmark's name, from the file names, sorted. */
export async function benchmarkNames(dir = benchmarksDir): Promise<string[]> {
  const files = await readdir(dir);
  return files
    .filter((file) => file.endsWith(suffix))
    .map((file) => file.slice(0, -suffix.length))
    .sort();
}

/** Imports one benchmark and checks that its default export is a definition named after its file. */
export async function loadBenchmark(
  name: string,
  dir = benchmarksDir,
): Promise<BenchmarkDefinition> {
  const module = (await import(pathToFileURL(`${dir}/${name}${suffix}`).href)) as {
    default?: BenchmarkDefinition;
  };
  const definition = module.default;
  if (!definition || typeof definition.run !== 'function') {
    throw new Error(
      `${name}${suffix} must export default defineBenchmark({ name, description, run })`,
    );
  }
  if (definition.name !== name)
    throw new Error(`${name}${suffix} names itself "${definition.name}"`);
  return definition;
}
