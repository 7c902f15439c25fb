/** The longest delay `setTimeout` takes; a longer one fires after 1 ms (with a warning). */
const maxTimerDelayMs = 2 ** 31 - 1;

/**
 * Calls `fn` at the wall-clock time `atMs`, however far away (a token may live for months).
 * Returns the cancel function.
 */
export function runAt(atMs: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const delay = atMs - Date.now();
    if (delay <= 0) {
      fn();
      return;
    }
    timer = setTimeout(arm, Math.min(delay, maxTimerDelayMs));
    // A pending expiry must not keep a closing process alive.
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
