import { afterEach, describe, expect, it } from 'vitest';
import { ownCpuMicros, processCpuMicros, startCpuMeter } from '../src/harness/cpu.js';
import { residentBytes, startMemorySampler } from '../src/harness/memory.js';
import { sleep, startNodeChild } from './helpers.js';

const MiB = 2 ** 20;
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

describe('the memory sampler', () => {
  it('sees the peak and the mean RSS of a real child process that holds 64 MiB', async () => {
    const holder = startNodeChild(
      'const b = Buffer.alloc(64 * 1024 * 1024, 1); setInterval(() => b[1], 1000);',
    );
    stops.push(holder.stop);
    await sleep(600);
    const sampler = startMemorySampler(holder.pid, 50);
    await sleep(400);
    const summary = sampler.stop();
    expect(summary.samples).toBeGreaterThanOrEqual(5);
    expect(summary.peakBytes).toBeGreaterThan(64 * MiB);
    expect(summary.meanBytes).toBeGreaterThan(64 * MiB);
    expect(summary.meanBytes).toBeLessThanOrEqual(summary.peakBytes);
  });

  it('stops quietly when the process it watches exits', async () => {
    const brief = startNodeChild('setTimeout(() => {}, 200);');
    const sampler = startMemorySampler(brief.pid, 20);
    await brief.stop();
    await sleep(100);
    expect(sampler.stop().samples).toBeGreaterThanOrEqual(1);
    expect(() => residentBytes(brief.pid)).toThrow();
  });

  it('reads the RSS of this process too', () => {
    expect(residentBytes('self')).toBeGreaterThan(10 * MiB);
  });
});

describe('the CPU meter', () => {
  it('counts the CPU time a busy child process burns, in microseconds', async () => {
    const busy = startNodeChild('const end = Date.now() + 5000; while (Date.now() < end) {}');
    stops.push(busy.stop);
    await sleep(200);
    const meter = startCpuMeter(busy.pid);
    await sleep(800);
    const reading = meter.stop();
    // Two cores shared with the test runner: at least a third of one core in the window.
    expect(reading.micros).toBeGreaterThan(250_000);
    expect(reading.micros).toBeLessThanOrEqual(reading.wallMs * 1000 * 2 + 20_000);
    expect(reading.cores).toBeGreaterThan(0.3);
    expect(processCpuMicros(busy.pid)).toBeGreaterThan(0);
  });

  it('counts this process’s own CPU time', () => {
    const meter = startCpuMeter('self');
    const before = ownCpuMicros();
    const end = Date.now() + 100;
    while (Date.now() < end) {
      // burn
    }
    expect(ownCpuMicros() - before).toBeGreaterThan(50_000);
    expect(meter.stop().micros).toBeGreaterThan(50_000);
  });
});
