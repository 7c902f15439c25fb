import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat's CPU times (usually 100). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const answer = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim());
    ticksPerSecond = Number.isFinite(answer) && answer > 0 ? answer : 100;
  }
  return ticksPerSecond;
}

/**
 * CPU time (user + system) a process has used so far, in microseconds, from /proc/<pid>/stat
 * (fields 14 and 15, counted after the parenthesised command name, which may hold spaces).
 * Resolution is one clock tick (10 ms at 100 Hz): measure over seconds, not milliseconds.
 */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are fields[11] and fields[12].
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / clockTicksPerSecond()) * 1_000_000;
}

/** CPU time of this process so far, in microseconds (user + system). */
export function ownCpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

export interface CpuReading {
  /** Microseconds of CPU used between start and stop. */
  micros: number;
  /** Wall-clock milliseconds between start and stop. */
  wallMs: number;
  /** Cores kept busy on average: `micros / (wallMs * 1000)`. */
  cores: number;
}

/**
 * Starts measuring the CPU of a process (`'self'` for this one); `stop()` returns what it used
 * since. A child must still run when `stop()` is called.
 */
export function startCpuMeter(pid: number | 'self'): { stop: () => CpuReading } {
  const read = () => (pid === 'self' ? ownCpuMicros() : processCpuMicros(pid));
  const startMicros = read();
  const startWall = performance.now();
  return {
    stop: () => {
      const micros = read() - startMicros;
      const wallMs = performance.now() - startWall;
      return { micros, wallMs, cores: wallMs > 0 ? micros / (wallMs * 1000) : 0 };
    },
  };
}
