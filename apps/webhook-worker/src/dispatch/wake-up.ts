/**
 * A pause that ends early when woken: the claim loop's idle wait. A wake while nobody pauses is
 * kept, so the next pause returns at once and no wake is lost between a check and a pause.
 * Plain promises rather than an AbortSignal: the loop is woken on every finished request, and
 * each abort would build an AbortError with its stack trace.
 */
export function createWakeUp() {
  let woken = false;
  let waiter: (() => void) | null = null;

  return {
    wake: (): void => {
      if (waiter) {
        const resume = waiter;
        waiter = null;
        resume();
      } else {
        woken = true;
      }
    },

    /** Resolves after `ms`, or at the first wake. */
    pause: (ms: number): Promise<void> => {
      if (woken) {
        woken = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiter = null;
          resolve();
        }, ms);
        waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}
