import type { Database } from '@conveyor/db/client';
import { sql } from 'drizzle-orm';
import { jsonParam } from '@conveyor/db/json-param';
import type { DeliveryOutcome } from './outcomes.js';
import { ENDPOINT_DISABLED } from './outcome-store.js';

/** What a batch of outcomes says about one endpoint's current run of failures. */
export interface FailureRun {
  endpointId: number;
  /** A success in the batch ended the run the endpoint was in before it. */
  reset: boolean;
  /** First failure since the batch's last success (or of the batch); null if none. */
  since: Date | null;
  /** The endpoint's last attempt in the batch failed. */
  failing: boolean;
}

/** Folds a batch's outcomes, in the order their attempts ended, into one run per endpoint. */
export function failureRuns(outcomes: readonly DeliveryOutcome[]): FailureRun[] {
  const runs = new Map<number, FailureRun>();
  const inOrder = [...outcomes].sort((a, b) => a.attempt.endedAt - b.attempt.endedAt);
  for (const { endpointId, attempt } of inOrder) {
    const run = runs.get(endpointId) ?? { endpointId, reset: false, since: null, failing: false };
    if (attempt.errorClass === null) {
      Object.assign(run, { reset: true, since: null, failing: false });
    } else {
      run.since ??= attempt.requestedAt;
      run.failing = true;
    }
    runs.set(endpointId, run);
  }
  return [...runs.values()];
}

export interface DisabledEndpoint {
  id: number;
  ownerId: string;
  url: string;
  reason: 'gone' | 'failing';
}

/**
 * Keeps the endpoints' `failing_since` in step with a batch of outcomes and turns off the
 * endpoints that asked for it (410 Gone) or have failed without a success for
 * `disableAfterHours`; their pending deliveries fail. Rows are written only where something
 * changes, so an endpoint that keeps succeeding costs a lookup, not a write. Returns the
 * endpoints this call turned off: each is turned off, and so returned, once.
 */
export async function applyEndpointHealth(
  tx: Database,
  outcomes: readonly DeliveryOutcome[],
  disableAfterHours: number,
): Promise<DisabledEndpoint[]> {
  const runs = failureRuns(outcomes);
  if (runs.length === 0) return [];
  const rows = runs.map((run) => ({
    endpoint_id: run.endpointId,
    reset: run.reset,
    since: run.since?.toISOString() ?? null,
  }));
  const next = sql`case when h.reset then h.since else coalesce(e.failing_since, h.since) end`;
  await tx.execute(sql`
    update webhook_endpoints e set failing_since = ${next}
    from jsonb_to_recordset(${jsonParam(rows)}) as h(endpoint_id bigint, reset boolean, since timestamptz)
    where e.id = h.endpoint_id and e.failing_since is distinct from ${next}`);

  const gone = [...new Set(outcomes.filter((o) => o.gone).map((o) => o.endpointId))];
  const failing = runs.filter((run) => run.failing).map((run) => run.endpointId);
  if (failing.length === 0 && gone.length === 0) return [];
  const ids = (list: readonly number[]) =>
    sql`(select value::bigint from jsonb_array_elements_text(${jsonParam(list)}))`;
  const disabled = await tx.execute<{ id: string; owner_id: string; url: string; reason: string }>(
    sql`
    update webhook_endpoints e
    set active = false, disabled_at = now(), updated_at = now(),
      disabled_reason = case when e.id in ${ids(gone)} then 'gone' else 'failing' end
    where e.active and (e.id in ${ids(gone)} or (e.id in ${ids(failing)}
      and e.failing_since <= now() - ${disableAfterHours}::float8 * interval '1 hour'))
    returning e.id, e.owner_id, e.url, e.disabled_reason as reason`,
  );
  if (disabled.length === 0) return [];
  // The coalescing key goes too: a newer progress event of the job must make a new delivery,
  // not replace the message of one that has failed and will never be sent.
  await tx.execute(sql`
    update webhook_deliveries
    set state = 'failed', last_error = ${ENDPOINT_DISABLED}, coalesce_key = null, updated_at = now()
    where state = 'pending' and endpoint_id in ${ids(disabled.map((row) => Number(row.id)))}`);
  return disabled.map((row) => ({
    id: Number(row.id),
    ownerId: row.owner_id,
    url: row.url,
    reason: row.reason === 'gone' ? 'gone' : 'failing',
  }));
}
