import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../src/harness/measurements.js';
import {
  formatNumber,
  machineInfo,
  writeResults,
  type BenchmarkResult,
} from '../src/harness/results.js';

describe('the results writer', () => {
  let dir: string;
  const result: BenchmarkResult = {
    name: 'sample',
    description: 'A sample benchmark.',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 12_345,
    machine: machineInfo(new Date('2026-01-01T00:00:00.000Z')),
    measurements: [
      evaluate({
        name: 'gateway requests/s',
        unit: 'req/s',
        value: 12_345.6,
        baseline: { label: 'direct', value: 20_000 },
        target: { min: 0.5 },
      }),
      evaluate({ name: 'p99 | tail', unit: 'ms', value: 12, target: { max: 10 } }),
      evaluate({ name: 'rss', unit: 'MiB', value: 80.25 }),
    ],
    details: { raw: { requests: 61_728 } },
    passed: false,
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'conveyor-bench-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('stores every figure and the machine in <name>.json', async () => {
    const files = await writeResults(join(dir, 'results'), result);
    expect(files.json).toBe(join(dir, 'results', 'sample.json'));
    const stored = JSON.parse(await readFile(files.json, 'utf8')) as BenchmarkResult;
    expect(stored).toEqual(result);
    expect(stored.machine).toMatchObject({
      node: process.version,
      date: '2026-01-01T00:00:00.000Z',
    });
    expect(stored.machine.cpus).toBeGreaterThan(0);
  });

  it('writes a markdown table with each value beside its baseline, the ratio and the verdict', async () => {
    const files = await writeResults(dir, result);
    const markdown = await readFile(files.markdown, 'utf8');
    expect(markdown).toContain('# sample\n\nA sample benchmark.');
    expect(markdown).toContain('| Measurement | Value | Baseline | Ratio | Target | Result |');
    expect(markdown).toContain(
      '| gateway requests/s | 12,346 req/s | 20,000 req/s (direct) | 0.62 | ratio ≥ 0.5 | pass |',
    );
    expect(markdown).toContain('| p99 \\| tail | 12.0 ms | — | — | value ≤ 10 ms | **FAIL** |');
    expect(markdown).toContain('| rss | 80.3 MiB | — | — | — | — |');
    expect(markdown).toContain('Some targets missed.');
  });

  it('formats numbers with fewer decimals as they grow', () => {
    expect(formatNumber(1234.5)).toBe('1,235');
    expect(formatNumber(12.34)).toBe('12.3');
    expect(formatNumber(1.234)).toBe('1.23');
    expect(formatNumber(Number.NaN)).toBe('NaN');
  });
});
