import { Agent, request } from 'node:http';
import { assertLoopback, loadLimits } from './load.js';
import { percentile } from './stats.js';

export interface LatencyOptions {
  /**
   * A loopback URL (anything else is refused), or several, requested in turn (request `i` goes
   * to `url[i % url.length]`): e.g. one job after another, so no single row stays cached.
   */
  url: string | readonly string[];
  headers?: Record<string, string>;
  /** Seconds to measure for. @defaultValue 5 */
  durationSeconds?: number;
  /** Requests at most; the run ends at whichever comes first. @defaultValue 100 000 */
  maxRequests?: number;
}

export interface LatencySummary {
  requests: number;
  /** Milliseconds, at microsecond resolution. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Answers that were not 2xx (they count in the latencies too). */
  non2xx: number;
}

/** Latency percentiles of a list of milliseconds. */
export function summarize(latenciesMs: readonly number[], non2xx = 0): LatencySummary {
  return {
    requests: latenciesMs.length,
    p50: percentile(latenciesMs, 50),
    p90: percentile(latenciesMs, 90),
    p99: percentile(latenciesMs, 99),
    max: latenciesMs.length > 0 ? Math.max(...latenciesMs) : Number.NaN,
    non2xx,
  };
}

/**
 * Latency of one request at a time on one keep-alive connection: what one caller waits, with no
 * queueing behind other requests (autocannon reports whole milliseconds and measures under
 * concurrency; this measures with `performance.now()`). Bounded in time and count.
 */
export async function measureLatency(options: LatencyOptions): Promise<LatencySummary> {
  const urls = typeof options.url === 'string' ? [options.url] : options.url;
  if (urls.length === 0) throw new RangeError('measureLatency needs at least one URL');
  for (const url of urls) assertLoopback(url);
  const durationMs = Math.min(options.durationSeconds ?? 5, loadLimits.maxDurationSeconds) * 1000;
  const maxRequests = Math.min(options.maxRequests ?? 100_000, loadLimits.maxAmount);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let non2xx = 0;
  const once = (url: string) =>
    new Promise<number>((resolve, reject) => {
      const outgoing = request(url, { agent, headers: options.headers }, (incoming) => {
        incoming.on('data', () => undefined);
        incoming.on('end', () => resolve(incoming.statusCode ?? 0));
        incoming.on('error', reject);
      });
      outgoing.setTimeout(10_000, () => outgoing.destroy(new Error('request timed out')));
      outgoing.on('error', reject);
      outgoing.end();
    });
  try {
    const deadline = performance.now() + durationMs;
    while (latencies.length < maxRequests && performance.now() < deadline) {
      const url = urls[latencies.length % urls.length]!;
      const started = performance.now();
      const status = await once(url);
      latencies.push(performance.now() - started);
      if (status < 200 || status > 299) non2xx += 1;
    }
  } finally {
    agent.destroy();
  }
  return summarize(latencies, non2xx);
}
