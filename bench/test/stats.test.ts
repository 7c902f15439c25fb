import { describe, expect, it } from 'vitest';
import { compare, mean, percentile } from '../src/harness/stats.js';

describe('percentile', () => {
  const values = [15, 20, 35, 40, 50];

  it('interpolates linearly between the nearest ranks', () => {
    expect(percentile(values, 0)).toBe(15);
    expect(percentile(values, 50)).toBe(35);
    expect(percentile(values, 100)).toBe(50);
    expect(percentile(values, 40)).toBeCloseTo(29, 10);
    expect(percentile(values, 90)).toBeCloseTo(46, 10);
  });

  it('does not depend on the order of the values and leaves them unsorted', () => {
    const shuffled = [40, 15, 50, 35, 20];
    expect(percentile(shuffled, 50)).toBe(35);
    expect(shuffled).toEqual([40, 15, 50, 35, 20]);
  });

  it('answers NaN for no values and refuses a percentile outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(percentile([7], 99)).toBe(7);
    expect(() => percentile(values, 101)).toThrow(RangeError);
  });
});

describe('mean and compare', () => {
  it('averages values', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(mean([])).toBeNaN();
  });

  it('gives the ratio of a measurement to its baseline, NaN when the baseline is zero', () => {
    expect(compare(150, 100)).toBe(1.5);
    expect(compare(50, 100)).toBe(0.5);
    expect(compare(1, 0)).toBeNaN();
    expect(compare(Number.NaN, 1)).toBeNaN();
  });
});
