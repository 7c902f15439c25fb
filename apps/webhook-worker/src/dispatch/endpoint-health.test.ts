import { describe, expect, it } from 'vitest';
import { failureRuns } from './endpoint-health.js';
import type { DeliveryOutcome } from './outcomes.js';

const outcome = (endpointId: number, endedAt: number, ok: boolean): DeliveryOutcome => ({
  deliveryId: endedAt,
  endpointId,
  claimedAttemptCount: 0,
  state: ok ? 'succeeded' : 'pending',
  nextAttemptAt: null,
  gone: false,
  attempt: {
    requestedAt: new Date(endedAt - 5),
    endedAt,
    durationMs: 5,
    statusCode: ok ? 200 : 500,
    errorClass: ok ? null : 'http_status',
    error: ok ? null : 'HTTP 500',
    responseBody: null,
    retryAfter: undefined,
  },
});

describe('failureRuns', () => {
  it('starts a run at the first failure of an endpoint that had no success', () => {
    expect(failureRuns([outcome(1, 200, false), outcome(1, 100, false)])).toEqual([
      { endpointId: 1, reset: false, since: new Date(95), failing: true },
    ]);
  });

  it('ends the run at a success and starts the next at the first failure after it', () => {
    expect(
      failureRuns([outcome(1, 100, false), outcome(1, 200, true), outcome(1, 300, false)]),
    ).toEqual([{ endpointId: 1, reset: true, since: new Date(295), failing: true }]);
  });

  it('ends the run when the last attempt succeeded, whatever failed before it', () => {
    expect(failureRuns([outcome(2, 300, true), outcome(2, 100, false)])).toEqual([
      { endpointId: 2, reset: true, since: null, failing: false },
    ]);
  });

  it('keeps endpoints apart', () => {
    const runs = failureRuns([outcome(1, 100, false), outcome(2, 100, true)]);
    expect(runs.map((run) => [run.endpointId, run.failing])).toEqual([
      [1, true],
      [2, false],
    ]);
  });
});
