import { describe, expect, it } from 'vitest';
import { createPeriodicTask } from '../src/periodic.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createPeriodicTask', () => {
  it('runs at start and on every tick, never two runs at once', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const task = createPeriodicTask({
      everyMs: 10,
      run: async () => {
        runs += 1;
        running += 1;
        most = Math.max(most, running);
        await sleep(35);
        running -= 1;
      },
      onError: () => undefined,
    });
    task.start();
    expect(runs).toBe(1);
    await sleep(120);
    await task.stop();
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(most).toBe(1);
  });

  it('hands a failed run to onError and tries again on the next tick', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const task = createPeriodicTask({
      everyMs: 10,
      run: async () => {
        runs += 1;
        if (runs === 1) throw new Error('database away');
      },
      onError: (error) => errors.push(error),
    });
    task.start();
    await sleep(50);
    await task.stop();
    expect(errors).toEqual([new Error('database away')]);
    expect(runs).toBeGreaterThan(1);
  });

  it('aborts the run in hand on stop and waits for it', async () => {
    let aborted = false;
    let ended = false;
    const task = createPeriodicTask({
      everyMs: 60_000,
      run: async (signal) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        aborted = signal.aborted;
        ended = true;
      },
      onError: () => undefined,
    });
    task.start();
    await task.stop();
    expect(aborted).toBe(true);
    expect(ended).toBe(true);
  });
});
