export interface PeriodicTask {
  /** Runs the task now, without waiting for it, then every `everyMs`. */
  start(): void;
  /** Clears the timer, aborts the run in hand (its signal) and waits for it to end. */
  stop(): Promise<void>;
}

/**
 * A housekeeping task on a timer (a retention prune): at start and every `everyMs`, never two
 * runs at once (a run still going when the next is due, a long first backlog, is not run
 * twice). Unref'd, so it never keeps a process alive. A failed run (the database away) goes to
 * `onError` and the next run tries again.
 */
export function createPeriodicTask(options: {
  everyMs: number;
  run: (signal: AbortSignal) => Promise<void>;
  onError: (error: unknown) => void;
}): PeriodicTask {
  let timer: NodeJS.Timeout | undefined;
  let stopping: AbortController | undefined;
  let inFlight: Promise<void> | undefined;

  const tick = () => {
    if (inFlight || !stopping) return;
    inFlight = options
      .run(stopping.signal)
      .catch(options.onError)
      .finally(() => {
        inFlight = undefined;
      });
  };

  return {
    start() {
      if (timer) return;
      stopping = new AbortController();
      tick();
      timer = setInterval(tick, options.everyMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      stopping?.abort();
      stopping = undefined;
      await inFlight;
    },
  };
}
