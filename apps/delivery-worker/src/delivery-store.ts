import type { Database } from '@conveyor/db/client';
import { notificationPreferences, notifications, users } from '@conveyor/db/schema';
import { and, eq, lte, ne, or, sql, type Placeholder, type SQL } from 'drizzle-orm';

/**
 * The SQL of email delivery. Every state change is one conditional UPDATE on the notification's
 * row, so two workers (or a retry racing a stalled original) can never both own an email.
 */

const secondsAgo = (seconds: number | Placeholder): SQL =>
  sql`now() - make_interval(secs => ${seconds}::int)`;

/**
 * The per-email statements, built once per database handle: drizzle then only binds the
 * values. Building them per job was a fifth of the worker's CPU per email (drizzle walks the
 * whole query tree each time); postgres.js already prepares them server-side by their text.
 */
function prepareStatements(db: Database) {
  // Placeholders in SET go inside sql``: drizzle's set() types accept values, columns and SQL.
  const id = sql.placeholder('id');
  const lease = sql.placeholder('lease');
  /** A row this worker may act on: still waiting, or claimed by a worker that died. */
  const claimable = and(
    eq(notifications.id, id),
    or(
      eq(notifications.emailStatus, 'pending'),
      and(
        eq(notifications.emailStatus, 'sending'),
        lte(notifications.emailClaimedAt, secondsAgo(lease)),
      ),
    ),
  );
  return {
    load: db
      .select({
        id: notifications.id,
        type: notifications.type,
        title: notifications.title,
        message: notifications.message,
        actionUrl: notifications.actionUrl,
        priority: notifications.priority,
        critical: notifications.critical,
        emailStatus: notifications.emailStatus,
        emailReason: notifications.emailReason,
        email: users.email,
        preferences: {
          enabledTypes: notificationPreferences.enabledTypes,
          digestFrequency: notificationPreferences.digestFrequency,
          emailEnabled: notificationPreferences.emailEnabled,
        },
      })
      .from(notifications)
      .innerJoin(users, eq(users.id, notifications.userId))
      .leftJoin(notificationPreferences, eq(notificationPreferences.userId, notifications.userId))
      .where(eq(notifications.id, id))
      .prepare('delivery_load'),
    recordDecision: db
      .update(notifications)
      .set({
        emailStatus: sql`${sql.placeholder('status')}`,
        emailReason: sql`${sql.placeholder('reason')}`,
        emailClaimedAt: null,
      })
      .where(claimable)
      .returning({ id: notifications.id })
      .prepare('delivery_record_decision'),
    claim: db
      .update(notifications)
      .set({
        emailStatus: 'sending',
        emailClaimedAt: sql`now()`,
        emailAttempts: sql`${notifications.emailAttempts} + 1`,
      })
      .where(claimable)
      .returning({ attempts: notifications.emailAttempts })
      .prepare('delivery_claim'),
    markSent: db
      .update(notifications)
      .set({
        emailStatus: 'sent',
        emailSentAt: sql`now()`,
        emailReason: null,
        emailClaimedAt: null,
      })
      .where(and(eq(notifications.id, id), ne(notifications.emailStatus, 'sent')))
      .prepare('delivery_mark_sent'),
    releaseClaim: db
      .update(notifications)
      .set({
        emailStatus: sql`${sql.placeholder('status')}`,
        emailReason: sql`${sql.placeholder('reason')}`,
        emailClaimedAt: null,
      })
      .where(
        and(
          eq(notifications.id, id),
          eq(notifications.emailStatus, 'sending'),
          eq(notifications.emailAttempts, sql.placeholder('claim')),
        ),
      )
      .prepare('delivery_release_claim'),
  };
}

const statementsByDb = new WeakMap<Database, ReturnType<typeof prepareStatements>>();

function statements(db: Database) {
  let prepared = statementsByDb.get(db);
  if (!prepared) {
    prepared = prepareStatements(db);
    statementsByDb.set(db, prepared);
  }
  return prepared;
}

/** A notification with what deciding and sending its email needs. */
export type DeliveryRow = NonNullable<Awaited<ReturnType<typeof loadForDelivery>>>;

export async function loadForDelivery(db: Database, notificationId: string) {
  const [row] = await statements(db).load.execute({ id: notificationId });
  return row;
}

/**
 * Records a decision that sends nothing (`skipped` with its reason, or `digest`). Returns
 * false when the row was no longer claimable: someone else has handled it.
 */
export async function recordDecision(
  db: Database,
  notificationId: string,
  leaseSeconds: number,
  decision: { status: 'skipped' | 'digest'; reason: string },
): Promise<boolean> {
  const rows = await statements(db).recordDecision.execute({
    id: notificationId,
    lease: leaseSeconds,
    status: decision.status,
    reason: decision.reason,
  });
  return rows.length === 1;
}

/**
 * Claims the email for this worker: one conditional UPDATE, so of any number of workers that
 * race for a row exactly one gets it. Returns the claim's number (the new `email_attempts`),
 * or null when the row is not claimable (another worker holds a fresh claim, or it is done).
 */
export async function claimForSending(
  db: Database,
  notificationId: string,
  leaseSeconds: number,
): Promise<number | null> {
  const [row] = await statements(db).claim.execute({ id: notificationId, lease: leaseSeconds });
  return row?.attempts ?? null;
}

/**
 * Records that the relay accepted the email. Whatever else happened to the row meanwhile (a
 * claim retaken after the lease, a competing attempt that failed), the email went out, so
 * `sent` wins; a row already `sent` keeps its first `email_sent_at`.
 */
export async function markSent(db: Database, notificationId: string): Promise<void> {
  await statements(db).markSent.execute({ id: notificationId });
}

/**
 * Gives up a claim: back to `pending` for a retry, or `failed` for good. Only this worker's
 * own claim is released (`email_attempts` numbers the claims); a claim retaken by another
 * worker, or a row already finished, is left as it is.
 */
export async function releaseClaim(
  db: Database,
  notificationId: string,
  claim: number,
  outcome: { status: 'pending' | 'failed'; reason: string },
): Promise<void> {
  await statements(db).releaseClaim.execute({
    id: notificationId,
    claim,
    status: outcome.status,
    reason: outcome.reason,
  });
}

/** A page of the outbox: rows the sweep should hand (back) to the queue. */
export interface DueRow {
  id: string;
  /** `created_at` as PostgreSQL text, exact to the microsecond, for keyset paging. */
  cursor: string;
}

export interface DueQuery {
  graceSeconds: number;
  leaseSeconds: number;
  limit: number;
  /** The last row of the previous page. */
  after?: DueRow;
}

/**
 * Rows still waiting for their email: `pending` and older than the grace, or `sending` under
 * a claim older than the lease. The `email_status in ('pending', 'sending')` predicate is the
 * one of the partial index `notifications_email_pending_idx`, written as literals (a bound
 * parameter would keep a generic plan from proving the index applies), so the scan touches
 * only the outbox, in `created_at` order, however large the table.
 *
 * Exported on its own so a test can EXPLAIN it.
 */
export function dueQuery(options: DueQuery): SQL {
  const after = options.after
    ? sql`and (${notifications.createdAt}, ${notifications.id}) > (${options.after.cursor}::timestamptz, ${options.after.id}::uuid)`
    : sql``;
  return sql`
    select ${notifications.id} as id, ${notifications.createdAt}::text as cursor
    from ${notifications}
    where ${notifications.emailStatus} in ('pending', 'sending')
      and ${notifications.createdAt} <= ${secondsAgo(options.graceSeconds)}
      and (${notifications.emailStatus} = 'pending'
        or ${notifications.emailClaimedAt} <= ${secondsAgo(options.leaseSeconds)})
      ${after}
    order by ${notifications.createdAt}, ${notifications.id}
    limit ${options.limit}`;
}

export async function findDue(db: Database, options: DueQuery): Promise<DueRow[]> {
  const rows = await db.execute<{ id: string; cursor: string }>(dueQuery(options));
  return rows.map((row) => ({ id: row.id, cursor: row.cursor }));
}
