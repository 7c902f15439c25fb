import type { Job } from 'bullmq';

/**
 * Reports progress on `jobs` in turn at `perSecond` for `seconds`, through BullMQ's own
 * `updateProgress` (its Lua script writes the `progress` event to the queue's event stream, as
 * a worker's report would). Sends in 10 ms slices and makes up for a late slice, so the rate
 * holds on a busy machine. Returns how many progress reports it made.
 */
export async function publishProgress(
  jobs: readonly Job[],
  perSecond: number,
  seconds: number,
): Promise<number> {
  const started = performance.now();
  const total = Math.round(perSecond * seconds);
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * perSecond));
    const batch: Promise<void>[] = [];
    for (; sent < due; sent += 1) {
      batch.push(jobs[sent % jobs.length]!.updateProgress({ seq: sent }));
    }
    await Promise.all(batch);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return sent;
}
