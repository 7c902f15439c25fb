import type { Database } from '@conveyor/db/client';
import { jsonParam } from '@conveyor/db/json-param';
import { sql } from 'drizzle-orm';
import type { OutgoingMessage } from './messages.js';
import { generateSecret } from './secrets.js';

/**
 * Of the progress messages of one job in a batch, only the newest is worth sending: the
 * others are dropped before they are stored. Messages come in stream order.
 */
function newestProgressOnly(messages: readonly OutgoingMessage[]): OutgoingMessage[] {
  const newest = new Map<string, OutgoingMessage>();
  for (const message of messages) {
    if (message.eventType === 'progress') newest.set(`${message.queue}/${message.jobId}`, message);
  }
  return messages.filter(
    (message) =>
      message.eventType !== 'progress' ||
      newest.get(`${message.queue}/${message.jobId}`) === message,
  );
}

/**
 * Keeps each owner's legacy endpoint in step with `users.webhook_url` (spec 004 "Migration"):
 * made when the column is set, moved when it changes, removed when it is cleared. Only the
 * owners of `completed` events need it, the one type the legacy URL receives.
 */
async function syncLegacyEndpoints(tx: Database, ownerIds: readonly string[]): Promise<void> {
  if (ownerIds.length === 0) return;
  const owners = ownerIds.map((id) => ({ id, secret: generateSecret() }));
  await tx.execute(sql`
    insert into webhook_endpoints (owner_id, url, event_type, description, legacy, secret)
    select u.id, u.webhook_url, 'completed', 'Legacy webhookUrl', true, o.secret
    from jsonb_to_recordset(${jsonParam(owners)}) as o(id text, secret text)
    join users u on u.id = o.id and u.webhook_url is not null
    on conflict (owner_id) where legacy
    do update set url = excluded.url, updated_at = now()
    where webhook_endpoints.url is distinct from excluded.url`);
  await tx.execute(sql`
    delete from webhook_endpoints e
    using users u
    where e.legacy and e.owner_id = u.id and u.webhook_url is null
      and u.id in (select value from jsonb_array_elements_text(${jsonParam(ownerIds)}))`);
}

export interface EnqueueResult {
  /** Messages stored: those whose owner has an endpoint that wants them. */
  messages: number;
  /** Deliveries created, or progress deliveries whose message was replaced by a newer one. */
  deliveries: number;
}

/**
 * Stores job event messages and one delivery per message and active endpoint of its owner
 * whose type matches (`all` matches every job event; the legacy endpoint only `completed`).
 * Idempotent: a message already stored, or a delivery already made, is left alone, so a batch
 * read again after a crash adds nothing.
 *
 * Progress coalescing: while a progress delivery of a job to an endpoint has not been
 * attempted, a newer progress event of that job replaces its message instead of adding a
 * request, so a job reporting progress a thousand times makes as many requests per endpoint as
 * the endpoint can take, each with the newest progress, and never a backlog.
 */
export async function enqueueJobMessages(
  db: Database,
  batch: readonly OutgoingMessage[],
): Promise<EnqueueResult> {
  const messages = newestProgressOnly(batch);
  if (messages.length === 0) return { messages: 0, deliveries: 0 };
  return db.transaction(async (tx) => {
    const legacyOwners = [
      ...new Set(messages.filter((m) => m.eventType === 'completed').map((m) => m.ownerId)),
    ];
    await syncLegacyEndpoints(tx, legacyOwners);

    const stored = await tx.execute<{ id: string }>(sql`
      insert into webhook_messages (id, owner_id, event_type, queue, job_id, body)
      select m.id, m.owner_id, m.event_type, m.queue, m.job_id, m.body
      from jsonb_to_recordset(${jsonParam(messages.map(toRow))})
        as m(id text, owner_id text, event_type text, queue text, job_id text, body text)
      where exists (select 1 from webhook_endpoints e where e.owner_id = m.owner_id and e.active)
      on conflict (id) do nothing
      returning id`);
    const storedIds = stored.map((row) => row.id);
    if (storedIds.length === 0) return { messages: 0, deliveries: 0 };

    const matching = sql`
      from webhook_messages m
      join webhook_endpoints e on e.owner_id = m.owner_id and e.active
        and (e.event_type::text = m.event_type or (e.event_type = 'all' and not e.legacy))
      where m.id in (select value from jsonb_array_elements_text(${jsonParam(storedIds)}))`;
    const others = await tx.execute(sql`
      insert into webhook_deliveries (message_id, endpoint_id)
      select m.id, e.id ${matching} and m.event_type <> 'progress'
      on conflict do nothing`);
    const progress = await tx.execute(sql`
      insert into webhook_deliveries (message_id, endpoint_id, coalesce_key)
      select m.id, e.id, m.queue || '/' || m.job_id ${matching} and m.event_type = 'progress'
      on conflict (endpoint_id, coalesce_key) where coalesce_key is not null
      do update set message_id = excluded.message_id, updated_at = now()`);
    return { messages: storedIds.length, deliveries: others.count + progress.count };
  });
}

/**
 * Stores one message for one endpoint only (`POST /api/webhooks/:id/test`), due at once.
 * Returns the delivery's id.
 */
export async function enqueueForEndpoint(
  db: Database,
  message: OutgoingMessage,
  endpointId: number,
): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`
      insert into webhook_messages (id, owner_id, event_type, queue, job_id, body)
      values (${message.id}, ${message.ownerId}, ${message.eventType}, ${message.queue},
        ${message.jobId}, ${message.body})`);
    const [row] = await tx.execute<{ id: number }>(sql`
      insert into webhook_deliveries (message_id, endpoint_id)
      values (${message.id}, ${endpointId})
      returning id::int as id`);
    return row!.id;
  });
}

function toRow(message: OutgoingMessage) {
  return {
    id: message.id,
    owner_id: message.ownerId,
    event_type: message.eventType,
    queue: message.queue,
    job_id: message.jobId,
    body: message.body,
  };
}
