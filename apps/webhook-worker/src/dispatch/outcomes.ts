import type { ClaimedDelivery } from './claim.js';
import { retryDelay, type RetryPolicy } from './retry-policy.js';
import type { AttemptResult } from './sender.js';

/** What becomes of a delivery after one attempt, ready to store. */
export interface DeliveryOutcome {
  deliveryId: number;
  endpointId: number;
  /** `attempt_count` when claimed: the outcome applies to that claim only. */
  claimedAttemptCount: number;
  state: 'succeeded' | 'pending' | 'failed';
  /** When the next attempt is due; null when this attempt ended the delivery. */
  nextAttemptAt: Date | null;
  /** The endpoint answered `410 Gone`: it asks to be sent nothing more. */
  gone: boolean;
  attempt: AttemptResult;
}

const GONE = 410;

/**
 * A 2xx succeeds. `410 Gone` fails the delivery at once (its endpoint is disabled). Any other
 * failure is retried while the run has retries left, after the retry policy's delay.
 */
export function decideOutcome(
  delivery: ClaimedDelivery,
  attempt: AttemptResult,
  policy: RetryPolicy,
): DeliveryOutcome {
  const base = {
    deliveryId: delivery.id,
    endpointId: delivery.endpointId,
    claimedAttemptCount: delivery.attemptCount,
    attempt,
  };
  if (attempt.errorClass === null) {
    return { ...base, state: 'succeeded', nextAttemptAt: null, gone: false };
  }
  if (attempt.statusCode === GONE) {
    return { ...base, state: 'failed', nextAttemptAt: null, gone: true };
  }
  const delay = retryDelay(
    policy,
    {
      runAttempts: delivery.runAttempts + 1,
      statusCode: attempt.statusCode,
      retryAfter: attempt.retryAfter,
    },
    attempt.endedAt,
  );
  return delay === null
    ? { ...base, state: 'failed', nextAttemptAt: null, gone: false }
    : { ...base, state: 'pending', nextAttemptAt: new Date(attempt.endedAt + delay), gone: false };
}
