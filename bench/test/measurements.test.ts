import { describe, expect, it } from 'vitest';
import { evaluate } from '../src/harness/measurements.js';

describe('evaluate', () => {
  const baseline = { label: 'node:http', value: 1000 };

  it('bounds the ratio to the baseline by default when there is a baseline', () => {
    const met = evaluate({
      name: 'rps',
      unit: 'req/s',
      value: 800,
      baseline,
      target: { min: 0.5 },
    });
    expect(met).toMatchObject({ ratio: 0.8, targetText: 'ratio ≥ 0.5', pass: true });
    expect(
      evaluate({ name: 'rps', unit: 'req/s', value: 400, baseline, target: { min: 0.5 } }).pass,
    ).toBe(false);
  });

  it('bounds the value itself when asked, or when there is no baseline', () => {
    expect(evaluate({ name: 'p99', unit: 'ms', value: 12, target: { max: 10 } })).toMatchObject({
      ratio: null,
      targetText: 'value ≤ 10 ms',
      pass: false,
    });
    expect(
      evaluate({
        name: 'p99',
        unit: 'ms',
        value: 9,
        baseline,
        target: { min: 1, max: 10, on: 'value' },
      }),
    ).toMatchObject({ targetText: 'value ≥ 1 ms and ≤ 10 ms', pass: true });
  });

  it('leaves pass empty without a target and fails a target whose ratio cannot be computed', () => {
    expect(evaluate({ name: 'rss', unit: 'MiB', value: 90, baseline })).toMatchObject({
      ratio: 0.09,
      pass: null,
    });
    expect(
      evaluate({
        name: 'rps',
        unit: 'req/s',
        value: 5,
        baseline: { label: 'zero', value: 0 },
        target: { min: 1 },
      }).pass,
    ).toBe(false);
  });

  it('refuses a target without bounds or a ratio target without a baseline', () => {
    expect(() => evaluate({ name: 'x', unit: 'ms', value: 1, target: {} })).toThrow(
      'needs a min or a max',
    );
    expect(() =>
      evaluate({ name: 'x', unit: 'ms', value: 1, target: { max: 2, on: 'ratio' } }),
    ).toThrow('no baseline');
  });
});
