import { describe, expect, it } from 'vitest';
import type { LoadMeasurement } from '../src/harness/context.js';
import { combineRounds } from '../src/harness/rounds.js';

function round(requests: number, seconds: number, p99: number, cpuMicros: number): LoadMeasurement {
  return {
    load: {
      url: 'http://127.0.0.1:1/',
      connections: 50,
      durationSeconds: seconds,
      requests,
      requestsPerSecond: requests / seconds,
      latencyMs: { mean: p99 / 4, p50: p99 / 4, p90: p99 / 2, p99, max: p99 * 2 },
      errors: 0,
      timeouts: 0,
      non2xx: 1,
    },
    serverCpu: { micros: cpuMicros, wallMs: seconds * 1000, cores: cpuMicros / (seconds * 1e6) },
    serverCpuMicrosPerRequest: cpuMicros / requests,
    loadGeneratorCpu: { micros: 1000, wallMs: seconds * 1000, cores: 0 },
    serverMemory: { peakBytes: requests, meanBytes: requests / 2, samples: 10, intervalMs: 100 },
  };
}

describe('combineRounds', () => {
  it('adds requests, time and CPU, so rates and CPU per request cover every round', () => {
    const combined = combineRounds([
      round(1000, 1, 10, 100_000),
      round(3000, 2, 30, 300_000),
      round(2000, 1, 20, 400_000),
    ]);
    expect(combined.load.requests).toBe(6000);
    expect(combined.load.durationSeconds).toBe(4);
    expect(combined.load.requestsPerSecond).toBe(1500);
    expect(combined.serverCpu.micros).toBe(800_000);
    expect(combined.serverCpuMicrosPerRequest).toBeCloseTo(800_000 / 6000, 10);
    expect(combined.load.non2xx).toBe(3);
  });

  it('takes the median round for latency percentiles and the largest maximum and peak', () => {
    const combined = combineRounds([
      round(1000, 1, 10, 1),
      round(3000, 1, 90, 1),
      round(2000, 1, 20, 1),
    ]);
    expect(combined.load.latencyMs.p99).toBe(20);
    expect(combined.load.latencyMs.max).toBe(180);
    expect(combined.serverMemory.peakBytes).toBe(3000);
    expect(combined.serverMemory.samples).toBe(30);
  });

  it('refuses no rounds at all', () => {
    expect(() => combineRounds([])).toThrow();
  });
});
