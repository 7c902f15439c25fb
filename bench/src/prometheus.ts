/**
 * Reading figures out of a process's Prometheus text (`/metrics`), summed over every label set:
 * a histogram's `_sum` and `_count`, which is what a whole run's mean needs (mean = sum / count),
 * and plain samples such as the process's heap gauges.
 */

export interface HistogramTotals {
  sum: number;
  count: number;
}

const escape = (name: string) => name.replaceAll(/[^a-zA-Z0-9_:]/g, '');

/** The samples of `name` in `text`, summed; throws when the process does not expose it. */
export function sampleTotal(text: string, name: string): number {
  // `name{labels} value` or `name value`; a comment or another metric never matches.
  const line = new RegExp(`^${escape(name)}(?:\\{[^}]*\\})?\\s+(\\S+)$`, 'gm');
  const values = [...text.matchAll(line)].map((match) => Number(match[1]));
  if (values.length === 0) throw new Error(`no ${name} in the metrics`);
  return values.reduce((sum, value) => sum + value, 0);
}

/** The totals of histogram `name` in `text`; throws when the process does not expose it. */
export function histogramTotals(text: string, name: string): HistogramTotals {
  return { sum: sampleTotal(text, `${name}_sum`), count: sampleTotal(text, `${name}_count`) };
}
