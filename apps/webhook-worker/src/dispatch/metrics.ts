import { Counter, Gauge, Histogram, type Registry } from '@conveyor/runtime/metrics';
import type { AttemptResult } from './sender.js';

export interface DispatchMetrics {
  /** One HTTP attempt ended. */
  attempt: (result: AttemptResult) => void;
  /** Requests in flight now. */
  inFlight: (count: number) => void;
  claimed: (count: number) => void;
  /** A batch of outcomes could not be stored and waits for the next try. */
  writeFailed: () => void;
  endpointDisabled: (reason: 'gone' | 'failing') => void;
}

export function createDispatchMetrics(registry: Registry): DispatchMetrics {
  const attempts = new Counter({
    name: 'webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: succeeded, or the error class of the failure',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'webhook_attempt_duration_seconds',
    help: 'Seconds from the start of a webhook attempt to its response read (or its failure)',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'webhook_requests_in_flight',
    help: 'Webhook requests this instance has in flight',
    registers: [registry],
  });
  const claimed = new Counter({
    name: 'webhook_deliveries_claimed_total',
    help: 'Due webhook deliveries this instance claimed from PostgreSQL',
    registers: [registry],
  });
  const writeFailures = new Counter({
    name: 'webhook_outcome_write_failures_total',
    help: 'Batches of webhook attempt outcomes that could not be stored (retried)',
    registers: [registry],
  });
  const disabled = new Counter({
    name: 'webhook_endpoints_disabled_total',
    help: 'Webhook endpoints turned off by the platform, by reason (gone: 410; failing)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  // Children bound to their label once: a labelled call hashes its labels every time.
  const byOutcome = new Map<string, { count: () => void; time: (seconds: number) => void }>();
  const forOutcome = (outcome: string) => {
    let bound = byOutcome.get(outcome);
    if (!bound) {
      const counter = attempts.labels({ outcome });
      const histogram = seconds.labels({ outcome });
      bound = { count: () => counter.inc(), time: (value) => histogram.observe(value) };
      byOutcome.set(outcome, bound);
    }
    return bound;
  };
  return {
    attempt: (result) => {
      const bound = forOutcome(result.errorClass ?? 'succeeded');
      bound.count();
      bound.time(result.durationMs / 1_000);
    },
    inFlight: (count) => inFlight.set(count),
    claimed: (count) => claimed.inc(count),
    writeFailed: () => writeFailures.inc(),
    endpointDisabled: (reason) => disabled.inc({ reason }),
  };
}
