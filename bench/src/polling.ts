/**
 * Waiting on what a benchmark's processes do: the benchmark asks over HTTP or SQL until the
 * figure it waits for is there, and gives up after a bound instead of hanging.
 */

/** Longest one phase of a benchmark may take before it gives up. */
export const phaseTimeoutMs = 90_000;

/** The JSON a loopback endpoint answers; anything but 2xx throws. */
export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/** The text a loopback endpoint answers (e.g. Prometheus metrics); anything but 2xx throws. */
export async function getText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.text();
}

/**
 * Polls `done` every 20 ms until it holds: fine enough for phases of seconds, light enough not
 * to be what is measured. Gives up after `timeoutMs`, naming `what` it waited for.
 */
export async function until(
  what: string,
  done: () => Promise<boolean>,
  timeoutMs = phaseTimeoutMs,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Seconds since `startedAt`, a `performance.now()` reading. */
export const secondsSince = (startedAt: number): number => (performance.now() - startedAt) / 1000;
