import { startCpuMeter, type CpuReading } from './cpu.js';
import { runLoad, type LoadOptions, type LoadResult } from './load.js';
import { evaluate, type Measurement, type MeasurementInput } from './measurements.js';
import { startMemorySampler, type MemorySummary } from './memory.js';
import { startService, type RunningService, type ServiceOptions } from './processes.js';

/** What one load phase against one process measured. */
export interface LoadMeasurement {
  load: LoadResult;
  /** CPU the server process used during the load. */
  serverCpu: CpuReading;
  /** Server CPU microseconds per response. */
  serverCpuMicrosPerRequest: number;
  /** CPU the load generator (this process) used: it shares the machine with the server. */
  loadGeneratorCpu: CpuReading;
  /** RSS of the server process during the load. */
  serverMemory: MemorySummary;
}

/** Everything a benchmark's `run` gets: processes, load, CPU and memory meters, the record. */
export interface BenchContext {
  readonly name: string;
  /** `seconds` scaled by BENCH_DURATION_SCALE, so one setting shortens or lengthens every phase. */
  seconds: (seconds: number) => number;
  log: (message: string) => void;
  /** Starts a workspace entry point and waits for it; it is stopped when the benchmark ends. */
  startService: (options: ServiceOptions) => Promise<RunningService>;
  /** Bounded HTTP load on loopback (autocannon). */
  load: (options: LoadOptions) => Promise<LoadResult>;
  /** Load against `target` while its CPU and memory and this process's CPU are measured. */
  measureLoad: (target: { pid: number }, options: LoadOptions) => Promise<LoadMeasurement>;
  cpu: typeof startCpuMeter;
  memory: typeof startMemorySampler;
  /** Adds a row to the results: a value, its baseline, the target. */
  record: (measurement: MeasurementInput) => Measurement;
  /** Keeps a raw figure in `<name>.json` under `label`. */
  detail: (label: string, value: unknown) => void;
  /** Runs `cleanup` when the benchmark ends, last registered first. */
  defer: (cleanup: () => unknown) => void;
}

export interface ContextState {
  measurements: Measurement[];
  details: Record<string, unknown>;
  cleanups: Array<() => unknown>;
}

export function createContext(
  name: string,
  options: { durationScale: number; cpuProfileDir?: string; log: (message: string) => void },
): { ctx: BenchContext; state: ContextState } {
  const state: ContextState = { measurements: [], details: {}, cleanups: [] };
  const ctx: BenchContext = {
    name,
    seconds: (seconds) => Math.max(1, Math.round(seconds * options.durationScale)),
    log: options.log,
    startService: async (serviceOptions) => {
      // A CPU profile of every process a benchmark starts, written when it stops.
      const profiling = options.cpuProfileDir
        ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]
        : [];
      const service = await startService({
        ...serviceOptions,
        nodeArgs: [...profiling, ...(serviceOptions.nodeArgs ?? [])],
      });
      state.cleanups.push(() => service.stop());
      return service;
    },
    load: runLoad,
    measureLoad: async (target, loadOptions) => {
      const memory = startMemorySampler(target.pid, 100);
      const serverMeter = startCpuMeter(target.pid);
      const ownMeter = startCpuMeter('self');
      const result = await runLoad(loadOptions);
      const serverCpu = serverMeter.stop();
      const loadGeneratorCpu = ownMeter.stop();
      return {
        load: result,
        serverCpu,
        serverCpuMicrosPerRequest:
          result.requests > 0 ? serverCpu.micros / result.requests : Number.NaN,
        loadGeneratorCpu,
        serverMemory: memory.stop(),
      };
    },
    cpu: startCpuMeter,
    memory: startMemorySampler,
    record: (measurement) => {
      const evaluated = evaluate(measurement);
      state.measurements.push(evaluated);
      return evaluated;
    },
    detail: (label, value) => {
      state.details[label] = value;
    },
    defer: (cleanup) => {
      state.cleanups.push(cleanup);
    },
  };
  return { ctx, state };
}
