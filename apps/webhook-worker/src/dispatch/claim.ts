import type { Database } from '@conveyor/db/client';
import { sql, type SQL } from 'drizzle-orm';
import { jsonParam } from '@conveyor/db/json-param';

/** A delivery this instance holds, with all it needs to send it. */
export interface ClaimedDelivery {
  id: number;
  endpointId: number;
  ownerId: string;
  /** Attempts made before this claim: fences the outcome to this claim (see outcome-store). */
  attemptCount: number;
  runAttempts: number;
  /** The `webhook-id`. */
  messageId: string;
  body: string;
  url: string;
  /** The endpoint's secret, and the previous one while it has not expired. */
  secrets: string[];
}

export interface ClaimRequest {
  workerName: string;
  leaseMs: number;
  /** Deliveries to claim at most. */
  limit: number;
  /** Deliveries of one endpoint to claim at most when this instance holds none of it. */
  perEndpoint: number;
  /** Room left for endpoints this instance already holds deliveries of; 0 skips the endpoint. */
  roomByEndpoint: ReadonlyMap<number, number>;
}

/**
 * Rows looked at per claimed row. The scan is bounded so a claim stays cheap whatever the
 * backlog; endpoints without room are skipped inside the scan, so a backlog of one endpoint
 * that fills its room does not hide the others' rows from the next claim.
 */
const SCAN_FACTOR = 4;

type ClaimedRow = {
  id: string;
  endpoint_id: string;
  owner_id: string;
  attempt_count: number;
  run_attempts: number;
  message_id: string;
  body: string;
  url: string;
  secret: string;
  previous_secret: string | null;
};

/**
 * Claims due deliveries in one statement: pending ones whose time has come and those whose
 * claimer's lease ran out (a dead instance's), of active endpoints, oldest first, at most the
 * room of each endpoint. The candidates are picked without locks, then locked with SKIP LOCKED
 * and checked again, so instances never wait for, nor take, each other's rows. The claimed rows
 * come back with their message and endpoint, so sending needs no further query.
 */
export async function claimDue(db: Database, request: ClaimRequest): Promise<ClaimedDelivery[]> {
  if (request.limit <= 0) return [];
  const room = jsonParam(Object.fromEntries(request.roomByEndpoint));
  const roomOf = (endpoint: SQL) =>
    sql`coalesce((${room} ->> ${endpoint}::text)::int, ${request.perEndpoint})`;
  const scan = request.limit * SCAN_FACTOR;
  const rows = await db.execute<ClaimedRow>(sql`
    update webhook_deliveries d
    set state = 'sending', claimed_by = ${request.workerName},
      lease_until = now() + ${request.leaseMs} * interval '1 millisecond',
      coalesce_key = null, updated_at = now()
    from (
      select c.id from (
        select ranked.id, ranked.state from (
          select due.id, due.state, due.due_at,
            row_number() over (partition by due.endpoint_id order by due.due_at, due.id) as place,
            ${roomOf(sql.raw('due.endpoint_id'))} as room
          from (
            (select p.id, p.endpoint_id, p.state, p.next_attempt_at as due_at
              from webhook_deliveries p
              where p.state = 'pending' and p.next_attempt_at <= now()
                and ${roomOf(sql.raw('p.endpoint_id'))} > 0
              order by p.next_attempt_at limit ${scan})
            union all
            (select s.id, s.endpoint_id, s.state, s.lease_until as due_at
              from webhook_deliveries s
              where s.state = 'sending' and s.lease_until < now()
                and ${roomOf(sql.raw('s.endpoint_id'))} > 0
              order by s.lease_until limit ${scan})
          ) due
          join webhook_endpoints e on e.id = due.endpoint_id and e.active
        ) ranked
        where ranked.place <= ranked.room
        order by ranked.due_at
        limit ${request.limit}
      ) candidate
      -- Checked again on the locked row, as the candidates were read without locks. Each
      -- check names the candidate, so each row is looked up by its key: a check on the
      -- table alone would be planned from statistics that lag behind the claims.
      join webhook_deliveries c on c.id = candidate.id and c.state = candidate.state
        and case when candidate.state = 'pending' then c.next_attempt_at <= now()
          else c.lease_until < now() end
      for update of c skip locked
    ) claimed, webhook_endpoints e, webhook_messages m
    where d.id = claimed.id and e.id = d.endpoint_id and m.id = d.message_id
    returning d.id, d.endpoint_id, e.owner_id, d.attempt_count, d.run_attempts, d.message_id,
      m.body, e.url, e.secret,
      case when e.previous_secret_expires_at > now() then e.previous_secret end as previous_secret`);
  return rows.map((row) => ({
    id: Number(row.id),
    endpointId: Number(row.endpoint_id),
    ownerId: row.owner_id,
    attemptCount: row.attempt_count,
    runAttempts: row.run_attempts,
    messageId: row.message_id,
    body: row.body,
    url: row.url,
    secrets: row.previous_secret ? [row.secret, row.previous_secret] : [row.secret],
  }));
}

/**
 * Gives deliveries this instance claimed back to the queue, due at once: those it will not send
 * (`ids`, at shutdown), or all it holds (at start, after its own crash, so they need not wait
 * for their lease). Returns how many went back.
 */
export async function releaseClaims(
  db: Database,
  workerName: string,
  ids?: readonly number[],
): Promise<number> {
  if (ids?.length === 0) return 0;
  const only = ids
    ? sql`and id in (select value::bigint from jsonb_array_elements_text(${jsonParam(ids)}))`
    : sql``;
  const released = await db.execute(sql`
    update webhook_deliveries
    set state = 'pending', claimed_by = null, lease_until = null, updated_at = now()
    where state = 'sending' and claimed_by = ${workerName} ${only}`);
  return released.count;
}
