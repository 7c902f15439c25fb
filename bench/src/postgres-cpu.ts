import { readFileSync } from 'node:fs';
import type postgres from 'postgres';
import { processCpuMicros } from './harness/cpu.js';

type Sql = ReturnType<typeof postgres>;

/**
 * CPU that PostgreSQL spends on one process's queries: the server backends of its connections
 * (found by `application_name` in pg_stat_activity), read from /proc like any process's. Only
 * when the server runs on this machine in the same PID namespace: a backend pid that is not a
 * `postgres` process here (a container's, say) is not read, and the figure is NaN.
 */

/** The backend pids of `applicationName`'s connections to the current database. */
async function backends(sql: Sql, applicationName: string): Promise<number[]> {
  const rows = await sql<{ pid: number }[]>`
    select pid from pg_stat_activity
    where datname = current_database() and application_name = ${applicationName}`;
  return rows.map((row) => row.pid);
}

/** The backend's CPU so far, or null when `pid` is not a PostgreSQL process on this machine. */
function backendCpu(pid: number): number | null {
  try {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') return null;
    return processCpuMicros(pid);
  } catch {
    return null;
  }
}

export interface BackendCpuReading {
  /** Microseconds of CPU the backends used between start and stop (NaN: not readable here). */
  micros: number;
  /** Backends seen at the stop. */
  backends: number;
}

/**
 * Starts measuring: a connection opened after the start counts from zero (a new backend's CPU
 * so far is all since the start); one closed before the stop is missed, so measure while the
 * pool is busy (the apps close idle connections after 30 s).
 */
export async function startBackendCpuMeter(
  sql: Sql,
  applicationName: string,
): Promise<{ stop: () => Promise<BackendCpuReading> }> {
  const before = new Map<number, number | null>();
  for (const pid of await backends(sql, applicationName)) before.set(pid, backendCpu(pid));
  return {
    stop: async () => {
      const pids = await backends(sql, applicationName);
      let micros = 0;
      for (const pid of pids) {
        const now = backendCpu(pid);
        const then = before.has(pid) ? before.get(pid)! : 0;
        micros += now === null || then === null ? Number.NaN : now - then;
      }
      return { micros, backends: pids.length };
    },
  };
}
