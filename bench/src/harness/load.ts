import autocannon from 'autocannon';

/** Limits of every load run: traffic stays on this machine and always ends by itself. */
export const loadLimits = {
  maxConnections: 500,
  maxDurationSeconds: 60,
  maxAmount: 5_000_000,
} as const;

export interface LoadOptions {
  /** A loopback URL (127.0.0.0/8, localhost or [::1]); anything else is refused. */
  url: string;
  /** Concurrent connections. @defaultValue 50 */
  connections?: number;
  /** Seconds to send for. @defaultValue 5 */
  durationSeconds?: number;
  /** Requests to send; when set, the run ends after them instead of after `durationSeconds`. */
  amount?: number;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  /** Seconds before a request counts as timed out. @defaultValue 10 */
  timeoutSeconds?: number;
}

export interface LoadResult {
  url: string;
  connections: number;
  durationSeconds: number;
  /** Responses received. */
  requests: number;
  requestsPerSecond: number;
  /** Latency in milliseconds. */
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** Refuses any target but this machine's loopback interface. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  const loopback = host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
  if (!loopback) throw new Error(`load is sent to loopback addresses only, not to ${host}`);
}

const bounded = (value: number, max: number, what: string): number => {
  if (!Number.isFinite(value) || value <= 0 || value > max)
    throw new RangeError(`${what} must be within 1..${max}`);
  return value;
};

/** Sends HTTP load with autocannon, bounded in connections, duration and count, and sums it up. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  assertLoopback(options.url);
  const connections = bounded(options.connections ?? 50, loadLimits.maxConnections, 'connections');
  const duration = bounded(
    options.durationSeconds ?? 5,
    loadLimits.maxDurationSeconds,
    'durationSeconds',
  );
  const amount =
    options.amount === undefined
      ? undefined
      : bounded(options.amount, loadLimits.maxAmount, 'amount');
  const result = await autocannon({
    url: options.url,
    connections,
    duration,
    ...(amount === undefined ? {} : { amount }),
    method: options.method ?? 'GET',
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body === undefined ? {} : { body: options.body }),
    timeout: options.timeoutSeconds ?? 10,
  });
  const requests = result.requests.total;
  return {
    url: options.url,
    connections,
    durationSeconds: result.duration,
    requests,
    requestsPerSecond: result.duration > 0 ? requests / result.duration : 0,
    latencyMs: {
      mean: result.latency.mean,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}
