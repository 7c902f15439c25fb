import { compare } from './stats.js';

/**
 * A bound the measurement must meet. `on: 'ratio'` (the default when there is a baseline)
 * bounds `value / baseline`; `on: 'value'` bounds the value itself.
 */
export interface Target {
  min?: number;
  max?: number;
  on?: 'value' | 'ratio';
}

export interface MeasurementInput {
  /** What was measured, e.g. `fastify requests/s`. */
  name: string;
  /** e.g. `req/s`, `ms`, `µs/req`, `MiB`. */
  unit: string;
  value: number;
  /** What it is compared with: measured in the same run, or a fixed reference figure. */
  baseline?: { label: string; value: number };
  target?: Target;
}

export interface Measurement extends MeasurementInput {
  /** `value / baseline.value`, or `null` without a baseline. */
  ratio: number | null;
  /** The target as text (`ratio ≥ 0.5`), or `null` without one. */
  targetText: string | null;
  /** Whether the target is met, or `null` without one. */
  pass: boolean | null;
}

function describeTarget(target: Target, on: 'value' | 'ratio', unit: string): string {
  const suffix = on === 'value' ? ` ${unit}` : '';
  const parts = [];
  if (target.min !== undefined) parts.push(`≥ ${target.min}${suffix}`);
  if (target.max !== undefined) parts.push(`≤ ${target.max}${suffix}`);
  return `${on} ${parts.join(' and ')}`;
}

/** Works out a measurement's ratio to its baseline and whether it meets its target. */
export function evaluate(input: MeasurementInput): Measurement {
  const ratio = input.baseline ? compare(input.value, input.baseline.value) : null;
  if (!input.target) return { ...input, ratio, targetText: null, pass: null };
  if (input.target.min === undefined && input.target.max === undefined) {
    throw new Error(`the target of "${input.name}" needs a min or a max`);
  }
  const on = input.target.on ?? (input.baseline ? 'ratio' : 'value');
  if (on === 'ratio' && ratio === null)
    throw new Error(`"${input.name}" has a ratio target but no baseline`);
  const subject = on === 'ratio' ? ratio! : input.value;
  const pass =
    Number.isFinite(subject) &&
    (input.target.min === undefined || subject >= input.target.min) &&
    (input.target.max === undefined || subject <= input.target.max);
  return { ...input, ratio, targetText: describeTarget(input.target, on, input.unit), pass };
}
