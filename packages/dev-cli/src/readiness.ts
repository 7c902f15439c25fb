/** An app that did not answer 200 on `/readyz` in time; its message names the app. */
export class NotReadyError extends Error {
  override readonly name = 'NotReadyError';
  constructor(
    readonly apps: readonly string[],
    timeoutMs: number,
    readonly lastAnswers: Readonly<Record<string, string>>,
  ) {
    super(
      `${apps.join(', ')} did not become ready within ${Math.round(timeoutMs / 1000)} s ` +
        `(${apps.map((app) => `${app}: ${lastAnswers[app] ?? 'no answer'}`).join('; ')})`,
    );
  }
}

async function probe(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return String(response.status);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? (error instanceof Error ? error.name : 'error');
  }
}

/**
 * Polls every target's readiness URL until each answers 200; rejects with a
 * {@link NotReadyError} naming the ones that never did, or as soon as `signal` aborts.
 */
export async function waitUntilReady(
  targets: ReadonlyArray<{ name: string; url: string }>,
  options: {
    timeoutMs: number;
    intervalMs?: number;
    signal?: AbortSignal;
    onReady?: (name: string) => void;
  },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const pending = new Map(targets.map((target) => [target.name, target.url]));
  const lastAnswers: Record<string, string> = {};
  while (pending.size > 0) {
    options.signal?.throwIfAborted();
    await Promise.all(
      [...pending].map(async ([name, url]) => {
        const answer = await probe(url);
        lastAnswers[name] = answer;
        if (answer === '200') {
          pending.delete(name);
          options.onReady?.(name);
        }
      }),
    );
    if (pending.size === 0) return;
    if (Date.now() > deadline)
      throw new NotReadyError([...pending.keys()], options.timeoutMs, lastAnswers);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}
