import type { LoadMeasurement } from './context.js';
import type { CpuReading } from './cpu.js';
import { percentile } from './stats.js';

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

/** CPU readings of several phases as one: time and CPU add up. */
export function combineCpu(readings: readonly CpuReading[]): CpuReading {
  const micros = sum(readings.map((reading) => reading.micros));
  const wallMs = sum(readings.map((reading) => reading.wallMs));
  return { micros, wallMs, cores: wallMs > 0 ? micros / (wallMs * 1000) : 0 };
}

/**
 * One figure from several rounds of the same load against the same process, measured in turn
 * with other targets so that a burst of foreign load on a shared machine falls on all of them
 * alike. Counts and CPU add up (so requests/s and CPU per request are over every round);
 * latency percentiles cannot be merged from summaries, so each is the median of the rounds'
 * (the middle round of three), and `max` is the largest.
 */
export function combineRounds(rounds: readonly LoadMeasurement[]): LoadMeasurement {
  const first = rounds[0];
  if (!first) throw new Error('combineRounds needs at least one round');
  const loads = rounds.map((round) => round.load);
  const requests = sum(loads.map((load) => load.requests));
  const durationSeconds = sum(loads.map((load) => load.durationSeconds));
  const median = (pick: (load: LoadMeasurement['load']) => number) =>
    percentile(loads.map(pick), 50);
  const serverCpu = combineCpu(rounds.map((round) => round.serverCpu));
  const memories = rounds.map((round) => round.serverMemory);
  const samples = sum(memories.map((memory) => memory.samples));
  return {
    load: {
      url: first.load.url,
      connections: first.load.connections,
      durationSeconds,
      requests,
      requestsPerSecond: durationSeconds > 0 ? requests / durationSeconds : 0,
      latencyMs: {
        mean:
          requests > 0
            ? sum(loads.map((load) => load.latencyMs.mean * load.requests)) / requests
            : Number.NaN,
        p50: median((load) => load.latencyMs.p50),
        p90: median((load) => load.latencyMs.p90),
        p99: median((load) => load.latencyMs.p99),
        max: Math.max(...loads.map((load) => load.latencyMs.max)),
      },
      errors: sum(loads.map((load) => load.errors)),
      timeouts: sum(loads.map((load) => load.timeouts)),
      non2xx: sum(loads.map((load) => load.non2xx)),
    },
    serverCpu,
    serverCpuMicrosPerRequest: requests > 0 ? serverCpu.micros / requests : Number.NaN,
    loadGeneratorCpu: combineCpu(rounds.map((round) => round.loadGeneratorCpu)),
    serverMemory: {
      peakBytes: Math.max(...memories.map((memory) => memory.peakBytes)),
      meanBytes:
        samples > 0
          ? sum(memories.map((memory) => memory.meanBytes * memory.samples)) / samples
          : Number.NaN,
      samples,
      intervalMs: first.serverMemory.intervalMs,
    },
  };
}
