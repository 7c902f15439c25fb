import { readFileSync } from 'node:fs';
import { mean } from './stats.js';

/** Resident set size of a process in bytes, from the `VmRSS` line of /proc/<pid>/status. */
export function residentBytes(pid: number | 'self'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid} (has it exited?)`);
  return Number(match[1]) * 1024;
}

export interface MemorySummary {
  peakBytes: number;
  meanBytes: number;
  samples: number;
  intervalMs: number;
}

/**
 * Samples a process's RSS every `intervalMs` until `stop()`, which returns the peak and the
 * mean. A sample that fails (the process has exited) ends the sampling quietly.
 */
export function startMemorySampler(
  pid: number | 'self',
  intervalMs = 100,
): { stop: () => MemorySummary } {
  const samples: number[] = [];
  const take = () => {
    try {
      samples.push(residentBytes(pid));
    } catch {
      clearInterval(timer);
    }
  };
  const timer = setInterval(take, intervalMs);
  take();
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return {
        peakBytes: samples.length > 0 ? Math.max(...samples) : Number.NaN,
        meanBytes: mean(samples),
        samples: samples.length,
        intervalMs,
      };
    },
  };
}
