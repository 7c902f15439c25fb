import { describe, expect, it } from 'vitest';
import { createWakeUp } from './wake-up.js';

describe('wake-up', () => {
  it('ends a pause early when woken', async () => {
    const { wake, pause } = createWakeUp();
    const started = Date.now();
    const paused = pause(5_000);
    wake();
    await paused;
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('keeps a wake that came while nobody paused, for the next pause only', async () => {
    const { wake, pause } = createWakeUp();
    wake();
    wake();
    const started = Date.now();
    await pause(5_000);
    expect(Date.now() - started).toBeLessThan(100);
    await pause(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });
});
