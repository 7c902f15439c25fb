import type { Database } from '@conveyor/db/client';
import { sql } from 'drizzle-orm';
import { jsonParam } from '@conveyor/db/json-param';
import type { DeliveryOutcome } from './outcomes.js';

/** `last_error` of a delivery whose endpoint was turned off before it could be retried. */
export const ENDPOINT_DISABLED = 'endpoint disabled';

const toRow = (workerName: string, outcome: DeliveryOutcome) => ({
  delivery_id: outcome.deliveryId,
  // The marks of the claim the outcome belongs to.
  claim_state: 'sending',
  claim_worker: workerName,
  claim_attempt_count: outcome.claimedAttemptCount,
  state: outcome.state,
  next_attempt_at: outcome.nextAttemptAt?.toISOString() ?? null,
  requested_at: outcome.attempt.requestedAt.toISOString(),
  status_code: outcome.attempt.statusCode,
  error_class: outcome.attempt.errorClass,
  last_error: outcome.attempt.error,
  duration_ms: outcome.attempt.durationMs,
  response_body: outcome.attempt.responseBody,
});

/**
 * Stores a batch of outcomes in one statement: each delivery takes its new state and one more
 * attempt, and the attempt goes to the log numbered after it. Only deliveries still claimed by
 * this worker under the same claim are written (the `attempt_count` at claim time fences it):
 * if the lease ran out and another instance took the delivery over, its outcome wins, and an
 * outcome written again after a commit whose answer was lost changes nothing. A retry due to an
 * endpoint that is no longer active fails instead, as its pending deliveries did.
 * Returns how many deliveries were written.
 */
export async function writeOutcomes(
  tx: Database,
  workerName: string,
  outcomes: readonly DeliveryOutcome[],
): Promise<number> {
  if (outcomes.length === 0) return 0;
  // The JSON rows drive the update, each looking its delivery up by primary key, and ride
  // along in its RETURNING to the insert. The claim's marks (state, claimer, attempt count)
  // are compared with the row's JSON, not with constants: a condition on the table alone
  // would be planned from statistics that lag behind the claims (no row 'sending', none
  // claimed by us), and a planner expecting one row there joins every row with every outcome.
  const written = await tx.execute(sql`
    with updated as (
      update webhook_deliveries d
      set state = case when o.state = 'pending' and not e.active then 'failed' else o.state end,
        last_error = case when o.state = 'pending' and not e.active
          then ${ENDPOINT_DISABLED} else o.last_error end,
        next_attempt_at = coalesce(o.next_attempt_at, d.next_attempt_at),
        attempt_count = d.attempt_count + 1, run_attempts = d.run_attempts + 1,
        last_status = o.status_code, claimed_by = null, lease_until = null, updated_at = now()
      from jsonb_to_recordset(${jsonParam(outcomes.map((outcome) => toRow(workerName, outcome)))})
        as o(delivery_id bigint, claim_state webhook_delivery_state, claim_worker text,
          claim_attempt_count int, state webhook_delivery_state,
          next_attempt_at timestamptz, requested_at timestamptz, status_code int,
          error_class text, last_error text, duration_ms int, response_body text),
        webhook_endpoints e
      where d.id = o.delivery_id and e.id = d.endpoint_id
        and d.state = o.claim_state and d.claimed_by = o.claim_worker
        and d.attempt_count = o.claim_attempt_count
      returning d.id, d.attempt_count, d.state, d.next_attempt_at, o.requested_at,
        o.status_code, o.error_class, o.duration_ms, o.response_body
    )
    insert into webhook_attempts (delivery_id, attempt_number, requested_at, status_code,
      error_class, duration_ms, response_body, next_attempt_at)
    select id, attempt_count, requested_at, status_code, error_class, duration_ms,
      response_body, case when state = 'pending' then next_attempt_at end
    from updated`);
  return written.count;
}
