import { describe, expect, it } from 'vitest';
import { histogramTotals, sampleTotal } from '../src/prometheus.js';

const text = `# HELP digest_chunk_seconds Seconds one digest chunk job took
# TYPE digest_chunk_seconds histogram
digest_chunk_seconds_bucket{le="0.1",app="digest-worker"} 0
digest_chunk_seconds_bucket{le="+Inf",app="digest-worker"} 3
digest_chunk_seconds_sum{app="digest-worker"} 4.5
digest_chunk_seconds_count{app="digest-worker"} 3
digest_chunk_postgres_seconds_sum{app="digest-worker",queue="a"} 1.25
digest_chunk_postgres_seconds_sum{app="digest-worker",queue="b"} 0.75
digest_chunk_postgres_seconds_count{app="digest-worker",queue="a"} 2
digest_chunk_postgres_seconds_count{app="digest-worker",queue="b"} 1
nodejs_heap_size_used_bytes 1048576
`;

describe('histogramTotals', () => {
  it("reads a histogram's sum and count", () => {
    expect(histogramTotals(text, 'digest_chunk_seconds')).toEqual({ sum: 4.5, count: 3 });
  });

  it('adds up every label set, and does not take one metric for another with its prefix', () => {
    expect(histogramTotals(text, 'digest_chunk_postgres_seconds')).toEqual({ sum: 2, count: 3 });
  });

  it('throws for a metric the process does not expose', () => {
    expect(() => histogramTotals(text, 'digest_email_send_seconds')).toThrow(
      /no digest_email_send_seconds_sum/,
    );
  });
});

describe('sampleTotal', () => {
  it('reads a sample without labels', () => {
    expect(sampleTotal(text, 'nodejs_heap_size_used_bytes')).toBe(1_048_576);
  });
});
