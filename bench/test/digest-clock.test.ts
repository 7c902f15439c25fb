import { describe, expect, it } from 'vitest';
import { HOUR_MS, hourOf, zoneWithNineAt } from '../src/digest-clock.js';

/** The local wall-clock time of `instant` in `timeZone`, as `HH:MM`. */
const localTime = (instant: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(instant);

describe('zoneWithNineAt', () => {
  it('gives a zone where it is 09:00 at the start of every UTC hour of a day', () => {
    const midnight = Date.UTC(2026, 10, 23);
    for (let hour = 0; hour < 24; hour += 1) {
      const start = new Date(midnight + hour * HOUR_MS);
      expect(localTime(start, zoneWithNineAt(start)), `hour ${hour}`).toBe('09:00');
    }
  });

  it('names UTC for 09:00 UTC and inverts the POSIX sign of the Etc zones', () => {
    expect(zoneWithNineAt(new Date(Date.UTC(2026, 0, 1, 9)))).toBe('UTC');
    expect(zoneWithNineAt(new Date(Date.UTC(2026, 0, 1, 0)))).toBe('Etc/GMT-9');
    expect(zoneWithNineAt(new Date(Date.UTC(2026, 0, 1, 21)))).toBe('Etc/GMT+12');
  });
});

describe('hourOf', () => {
  it('is the start of the UTC hour', () => {
    expect(hourOf(new Date('2026-11-23T05:59:59.999Z')).toISOString()).toBe(
      '2026-11-23T05:00:00.000Z',
    );
  });
});
