import type { Database } from '@conveyor/db/client';
import {
  digestDeliveries,
  digestRuns,
  notificationPreferences,
  notifications,
  users,
} from '@conveyor/db/schema';
import { and, eq, inArray, lte, sql } from 'drizzle-orm';
import type { DigestItem } from './digest-email.js';

/**
 * The SQL of sending digests. Every state change of a delivery row is one conditional UPDATE,
 * so two workers on the same chunk (a re-dispatched chunk beside a retried one) can never both
 * own a digest.
 */

/** A delivery row of a chunk with what deciding and sending its digest needs. */
export type ChunkRow = Awaited<ReturnType<typeof loadChunk>>[number];

/** The chunk's rows still open (`pending`, or `sending` under someone's claim). */
export async function loadChunk(db: Database, runId: string, chunk: number) {
  return db
    .select({
      id: digestDeliveries.id,
      userId: digestDeliveries.userId,
      frequency: digestDeliveries.frequency,
      windowStart: digestDeliveries.windowStart,
      windowEnd: digestDeliveries.windowEnd,
      status: digestDeliveries.status,
      attempts: digestDeliveries.attempts,
      claimedAt: digestDeliveries.claimedAt,
      email: users.email,
      preferences: {
        digestFrequency: notificationPreferences.digestFrequency,
        emailEnabled: notificationPreferences.emailEnabled,
        timezone: notificationPreferences.timezone,
      },
    })
    .from(digestDeliveries)
    .innerJoin(users, eq(users.id, digestDeliveries.userId))
    .leftJoin(notificationPreferences, eq(notificationPreferences.userId, digestDeliveries.userId))
    .where(
      and(
        eq(digestDeliveries.runId, runId),
        eq(digestDeliveries.chunk, chunk),
        inArray(digestDeliveries.status, ['pending', 'sending']),
      ),
    )
    .orderBy(digestDeliveries.userId);
}

/**
 * What each delivery's digest lists, read now rather than at planning: a notification read or
 * deleted since, or a type turned off since, is left out. One query for the whole chunk.
 */
export async function loadItems(
  db: Database,
  deliveryIds: readonly string[],
): Promise<Map<string, DigestItem[]>> {
  const byDelivery = new Map<string, DigestItem[]>();
  if (deliveryIds.length === 0) return byDelivery;
  const rows = await db
    .select({
      deliveryId: digestDeliveries.id,
      id: notifications.id,
      type: notifications.type,
      title: notifications.title,
      message: notifications.message,
      actionUrl: notifications.actionUrl,
      priority: notifications.priority,
      createdAt: notifications.createdAt,
    })
    .from(digestDeliveries)
    .innerJoin(notificationPreferences, eq(notificationPreferences.userId, digestDeliveries.userId))
    .innerJoin(
      notifications,
      and(
        eq(notifications.userId, digestDeliveries.userId),
        sql`${notifications.read} = false`,
        sql`${notifications.createdAt} >= ${digestDeliveries.windowStart}`,
        sql`${notifications.createdAt} < ${digestDeliveries.windowEnd}`,
        sql`${notifications.type} = any (${notificationPreferences.enabledTypes})`,
      ),
    )
    .where(inArray(digestDeliveries.id, [...deliveryIds]));
  for (const { deliveryId, ...item } of rows) {
    const items = byDelivery.get(deliveryId);
    if (items) items.push(item);
    else byDelivery.set(deliveryId, [item]);
  }
  return byDelivery;
}

/** A digest the relay accepted whose `sent` mark is still to be written. */
export interface AcceptedDigest {
  deliveryId: string;
  notificationCount: number;
}

/**
 * One round trip per digest: records the lane's previous digest as sent (with the user's
 * `lastDigestSentAt`), and claims its next one. Either may be absent. The claim takes only a
 * `pending` row, so of any number of workers racing for it exactly one gets it; the mark wins
 * over whatever happened meanwhile, since the email is out. Returns the claim's number (the new
 * `attempts`), or null when there was nothing to claim or someone else had it.
 *
 * Unlike a notification email, a `sending` row is never retaken: see `failInterrupted`.
 */
export async function settleAndClaim(
  db: Database,
  accepted: AcceptedDigest | null,
  claimId: string | null,
): Promise<number | null> {
  const [row] = await db.execute<{ attempts: number | null }>(sql`
    with marked as (
      update ${digestDeliveries}
      set status = 'sent', sent_at = now(), claimed_at = null, reason = null,
          notification_count = ${accepted?.notificationCount ?? null}::int
      where id = ${accepted?.deliveryId ?? null}::uuid and status <> 'sent'
      returning user_id, sent_at
    ),
    preferences as (
      update ${notificationPreferences} p
      set last_digest_sent_at = marked.sent_at
      from marked
      where p.user_id = marked.user_id
    ),
    claimed as (
      update ${digestDeliveries}
      set status = 'sending', claimed_at = now(), attempts = attempts + 1
      where id = ${claimId}::uuid and status = 'pending'
      returning attempts
    )
    select (select attempts from claimed) as attempts`);
  return row?.attempts ?? null;
}

/** Settles a pending digest without sending it (`skipped`, with the reason). */
export async function skipDigest(
  db: Database,
  deliveryId: string,
  reason: string,
): Promise<boolean> {
  const rows = await db
    .update(digestDeliveries)
    .set({ status: 'skipped', reason })
    .where(and(eq(digestDeliveries.id, deliveryId), eq(digestDeliveries.status, 'pending')))
    .returning({ id: digestDeliveries.id });
  return rows.length === 1;
}

/**
 * Gives up this worker's claim: back to `pending` (the relay did not take it; a retry may
 * send) or `failed` for good (the relay refused it). A claim someone else holds is untouched.
 */
export async function releaseDigest(
  db: Database,
  deliveryId: string,
  claim: number,
  outcome: { status: 'pending' | 'failed'; reason: string },
): Promise<void> {
  await db
    .update(digestDeliveries)
    .set({ status: outcome.status, reason: outcome.reason, claimedAt: null })
    .where(
      and(
        eq(digestDeliveries.id, deliveryId),
        eq(digestDeliveries.status, 'sending'),
        eq(digestDeliveries.attempts, claim),
      ),
    );
}

/**
 * `sending` rows whose claim is older than the lease belong to a worker that stopped during
 * the SMTP transaction. Whether the relay took the message is unknown, and sending it again
 * could make two digests for one window, so they are marked `failed` (reason `interrupted`)
 * and never sent again: at most one digest per window. Returns how many.
 */
export async function failInterrupted(
  db: Database,
  leaseSeconds: number,
  runId?: string,
): Promise<number> {
  const rows = await db
    .update(digestDeliveries)
    .set({
      status: 'failed',
      reason: 'interrupted: the worker stopped while sending; not resent (at most one digest)',
      claimedAt: null,
    })
    .where(
      and(
        eq(digestDeliveries.status, 'sending'),
        lte(digestDeliveries.claimedAt, sql`now() - make_interval(secs => ${leaseSeconds}::int)`),
        runId === undefined ? undefined : eq(digestDeliveries.runId, runId),
      ),
    )
    .returning({ id: digestDeliveries.id });
  return rows.length;
}

/**
 * Marks runs finished once none of their digests is open: one run after its chunk, or every
 * unfinished run after the tick settled interrupted digests (which may have been a run's last).
 */
export async function finishDoneRuns(db: Database, runId?: string): Promise<void> {
  await db
    .update(digestRuns)
    .set({ finishedAt: sql`now()` })
    .where(
      and(
        runId === undefined ? undefined : eq(digestRuns.id, runId),
        sql`${digestRuns.finishedAt} is null`,
        sql`not exists (
          select 1 from ${digestDeliveries}
          where ${digestDeliveries.runId} = ${digestRuns.id}
            and ${digestDeliveries.status} in ('pending', 'sending'))`,
      ),
    );
}

/**
 * Chunks with digests still open that were planned more than `graceSeconds` ago: their job was
 * lost (a crash between planning and enqueueing), ran out of attempts while the relay was down,
 * or is still running; the tick hands them to the queue again, which is safe either way.
 */
export async function findOpenChunks(
  db: Database,
  graceSeconds: number,
): Promise<Array<{ runId: string; chunk: number }>> {
  return db
    .selectDistinct({ runId: digestDeliveries.runId, chunk: digestDeliveries.chunk })
    .from(digestDeliveries)
    .where(
      and(
        inArray(digestDeliveries.status, ['pending', 'sending']),
        lte(digestDeliveries.createdAt, sql`now() - make_interval(secs => ${graceSeconds}::int)`),
      ),
    )
    .orderBy(digestDeliveries.runId, digestDeliveries.chunk);
}
