/**
 * The `p`-th percentile (0 to 100) of `values`, interpolated linearly between the two nearest
 * ranks (the "linear" method of NumPy and of most spreadsheets). `NaN` for no values.
 */
export function percentile(values: readonly number[], p: number): number {
  if (p < 0 || p > 100 || Number.isNaN(p))
    throw new RangeError(`percentile must be within 0..100, got ${p}`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const low = sorted[lower]!;
  return low + (sorted[upper]! - low) * (rank - lower);
}

export function mean(values: readonly number[]): number {
  return values.length === 0
    ? Number.NaN
    : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/**
 * How `measured` compares with `baseline`: `measured / baseline`. Above 1 means more (more
 * requests per second, or more latency); `NaN` when the baseline is 0 or not finite.
 */
export function compare(measured: number, baseline: number): number {
  if (!Number.isFinite(measured) || !Number.isFinite(baseline) || baseline === 0) return Number.NaN;
  return measured / baseline;
}
