import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, arch, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Measurement } from './measurements.js';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  platform: string;
  date: string;
}

export function machineInfo(now = new Date()): MachineInfo {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    node: process.version,
    platform: `${platform()} ${release()} ${arch()}`,
    date: now.toISOString(),
  };
}

export interface BenchmarkResult {
  name: string;
  description: string;
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  measurements: Measurement[];
  /** Every raw figure the benchmark kept (load results, CPU, memory), by label. */
  details: Record<string, unknown>;
  /** False when a target was missed; true when every target was met or there were none. */
  passed: boolean;
}

/** A number as people read it: grouped thousands, fewer decimals as it grows. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

const cell = (text: string): string => text.replaceAll('|', '\\|');

/** The short markdown report: each measurement beside its baseline, the ratio and the target. */
export function renderMarkdown(result: BenchmarkResult): string {
  const rows = result.measurements.map((m) => {
    const value = `${formatNumber(m.value)} ${m.unit}`;
    const baseline = m.baseline
      ? `${formatNumber(m.baseline.value)} ${m.unit} (${m.baseline.label})`
      : '—';
    const ratio = m.ratio === null ? '—' : formatNumber(m.ratio);
    const verdict = m.pass === null ? '—' : m.pass ? 'pass' : '**FAIL**';
    return `| ${[m.name, value, baseline, ratio, m.targetText ?? '—', verdict].map(cell).join(' | ')} |`;
  });
  const machine = result.machine;
  return [
    `# ${result.name}`,
    '',
    result.description,
    '',
    '| Measurement | Value | Baseline | Ratio | Target | Result |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    ...rows,
    '',
    `${result.passed ? 'All targets met.' : 'Some targets missed.'} ` +
      `Ran ${formatNumber(result.durationMs / 1000)} s on ${machine.cpus} × ${machine.cpuModel}, ` +
      `Node ${machine.node}, ${machine.platform}, ${machine.date}. Every figure: \`${result.name}.json\`.`,
    '',
  ].join('\n');
}

/** Writes `<dir>/<name>.json` (everything) and `<dir>/<name>.md` (the table); returns their paths. */
export async function writeResults(
  dir: string,
  result: BenchmarkResult,
): Promise<{ json: string; markdown: string }> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, `${result.name}.json`);
  const markdown = join(dir, `${result.name}.md`);
  await writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(markdown, renderMarkdown(result));
  return { json, markdown };
}
