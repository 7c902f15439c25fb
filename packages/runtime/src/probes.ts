/** A readiness check: resolves when a dependency answers, rejects otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

export type ProbeState = 'up' | 'down';

/** Runs one check with a deadline: a check that hangs counts as down, and never holds its caller. */
export async function probe(check: ReadinessCheck, timeoutMs: number): Promise<ProbeState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every named check at once, each with the same deadline. */
export async function probeAll(
  checks: Record<string, ReadinessCheck>,
  timeoutMs: number,
): Promise<Record<string, ProbeState>> {
  const names = Object.keys(checks);
  const states = await Promise.all(names.map((name) => probe(checks[name]!, timeoutMs)));
  return Object.fromEntries(names.map((name, index) => [name, states[index]!]));
}
