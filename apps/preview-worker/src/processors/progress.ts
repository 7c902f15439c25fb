import type { Logger } from '@conveyor/runtime/logger';

export interface ProgressReporter {
  /** Reports `percent` (0..100) if it is higher than the last value reported; never waits. */
  report: (percent: number) => void;
  /** Waits until every value reported so far has reached Redis. */
  flush: () => Promise<void>;
}

/**
 * Job progress that only rises, as whole percents, written in order: ffmpeg's progress arrives
 * as a synchronous callback, and the writes to Redis are chained so a late write never
 * overtakes a newer one. A failed write is logged and dropped: progress is advisory, and the
 * job must not fail for it.
 */
export function createProgressReporter(
  update: (percent: number) => Promise<unknown>,
  logger: Logger,
): ProgressReporter {
  let last = 0;
  let chain: Promise<void> = Promise.resolve();
  return {
    report: (percent) => {
      const value = Math.min(100, Math.max(0, Math.floor(percent)));
      if (value <= last) return;
      last = value;
      chain = chain.then(
        () =>
          update(value).then(
            () => undefined,
            (err: unknown) => logger.warn({ err, progress: value }, 'progress update failed'),
          ),
        () => undefined,
      );
    },
    flush: () => chain,
  };
}
