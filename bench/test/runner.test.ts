import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@conveyor/test-harness/ports';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchmarkNames, loadBenchmark } from '../src/harness/catalog.js';
import { defineBenchmark } from '../src/harness/definition.js';
import { startService } from '../src/harness/processes.js';
import { runBenchmark } from '../src/harness/runner.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conveyor-bench-run-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the runner', () => {
  it('runs a benchmark, runs its clean-ups last first, and writes its results', async () => {
    const order: string[] = [];
    const definition = defineBenchmark({
      name: 'tiny',
      description: 'A benchmark of nothing.',
      run: async (ctx) => {
        ctx.defer(() => order.push('first registered'));
        ctx.defer(() => order.push('last registered'));
        ctx.record({
          name: 'answer',
          unit: 'n',
          value: 42,
          baseline: { label: 'guess', value: 40 },
          target: { max: 1 },
        });
        ctx.detail('raw', { tries: 3 });
        await Promise.resolve();
      },
    });
    const { result, files } = await runBenchmark(definition, {
      resultsDir: dir,
      durationScale: 1,
      log: () => {},
    });
    expect(order).toEqual(['last registered', 'first registered']);
    expect(result.passed).toBe(false);
    expect(result.measurements[0]).toMatchObject({ ratio: 1.05, pass: false });
    expect(JSON.parse(await readFile(files.json, 'utf8'))).toMatchObject({
      name: 'tiny',
      details: { raw: { tries: 3 } },
    });
  });

  it('cleans up and rethrows when a benchmark fails, writing nothing', async () => {
    let cleaned = false;
    const failing = defineBenchmark({
      name: 'broken',
      description: 'Fails.',
      run: async (ctx) => {
        ctx.defer(() => (cleaned = true));
        await Promise.reject(new Error('no server'));
      },
    });
    await expect(
      runBenchmark(failing, { resultsDir: dir, durationScale: 1, log: () => {} }),
    ).rejects.toThrow('no server');
    expect(cleaned).toBe(true);
    await expect(readFile(join(dir, 'broken.json'))).rejects.toThrow();
  });

  it('refuses a benchmark name that is not kebab-case', () => {
    expect(() =>
      defineBenchmark({ name: 'Http Baseline', description: '', run: async () => {} }),
    ).toThrow('kebab-case');
  });
});

describe('the benchmark catalog', () => {
  it('finds http-baseline and loads its definition without running it', async () => {
    expect(await benchmarkNames()).toContain('http-baseline');
    const definition = await loadBenchmark('http-baseline');
    expect(definition.name).toBe('http-baseline');
    expect(definition.description).toContain('fastify');
  });
});

describe('startService', () => {
  const fixture = fileURLToPath(new URL('../src/fixtures/hello-http.ts', import.meta.url));

  it('starts an entry point as a process and resolves once it answers', async () => {
    const port = await freePort();
    const service = await startService({
      entry: fixture,
      env: { PORT: String(port) },
      readyUrl: `http://127.0.0.1:${port}/`,
    });
    expect(service.pid).toBeGreaterThan(0);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).json()).toEqual({ hello: 'world' });
    expect(await service.stop()).toBe(0);
  });

  it('fails at once, with what the process printed, when it exits before it is ready', async () => {
    const entry = join(dir, 'crash.ts');
    await writeFile(entry, "console.error('cannot start: port taken');\nprocess.exit(3);\n");
    const started = Date.now();
    await expect(
      startService({ entry, readyUrl: 'http://127.0.0.1:9/', readyTimeoutMs: 20_000 }),
    ).rejects.toThrow(/exited with code 3[\s\S]*cannot start: port taken/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
