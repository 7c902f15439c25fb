import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '@conveyor/runtime/config';
import { benchmarkNames, loadBenchmark } from './harness/catalog.js';
import { runBenchmark } from './harness/runner.js';
import { renderMarkdown } from './harness/results.js';
import { loadBenchConfig, processEnvironment } from './config.js';

// `pnpm bench [name...]`: runs the named benchmarks, or all of them, one after another.
// Exit codes: 0 every target met, 1 a target missed or a benchmark failed, 2 unknown name or bad config.

const usage = 'usage: pnpm bench [--list] [name...]';

async function main(argv: string[]): Promise<number> {
  let config;
  try {
    config = loadBenchConfig(processEnvironment());
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const available = await benchmarkNames();
  if (values.help) {
    console.log(`${usage}\nbenchmarks: ${available.join(', ')}`);
    return 0;
  }
  if (values.list) {
    for (const name of available)
      console.log(`${name}  ${(await loadBenchmark(name)).description}`);
    return 0;
  }
  const unknown = positionals.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    console.error(`unknown benchmark: ${unknown.join(', ')}; available: ${available.join(', ')}`);
    return 2;
  }
  const selected = positionals.length > 0 ? positionals : available;
  let exitCode = 0;
  for (const name of selected) {
    const log = (message: string) => console.log(message);
    try {
      const definition = await loadBenchmark(name);
      log(`[${name}] ${definition.description}`);
      const { result, files } = await runBenchmark(definition, {
        resultsDir: config.BENCH_RESULTS_DIR,
        durationScale: config.BENCH_DURATION_SCALE,
        ...(config.BENCH_CPU_PROFILE_DIR === undefined
          ? {}
          : { cpuProfileDir: config.BENCH_CPU_PROFILE_DIR }),
        log,
      });
      console.log(`\n${renderMarkdown(result)}`);
      console.log(
        `written: ${relative(process.cwd(), files.json)}, ${relative(process.cwd(), files.markdown)}\n`,
      );
      if (!result.passed) exitCode = 1;
    } catch (error) {
      console.error(
        `[${name}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      exitCode = 1;
    }
  }
  return exitCode;
}

process.exitCode = await main(process.argv.slice(2));
