import type { Database } from '@conveyor/db/client';
import { decideEmail } from '@conveyor/notifications/email-rules';
import { defaultPreferences } from '@conveyor/notifications/model';
import type { ParsedPayloadOf, ResultOf } from '@conveyor/queue-contracts';
import type { Logger } from '@conveyor/runtime/logger';
import { UnrecoverableError } from 'bullmq';
import type { Config } from '../config.js';
import type { DeliveryMetrics } from '../delivery-metrics.js';
import {
  claimForSending,
  loadForDelivery,
  markSent,
  recordDecision,
  releaseClaim,
  type DeliveryRow,
} from '../delivery-store.js';
import type { Mailer, SentEmail } from '@conveyor/mail/mailer';
import { renderNotificationEmail } from '../notification-email.js';
import { classifySmtpError } from '@conveyor/mail/smtp-errors';

export interface DeliverDeps {
  db: Database;
  mailer: Mailer;
  config: Pick<Config, 'APP_URL' | 'EMAIL_ID_DOMAIN' | 'CLAIM_LEASE_SECONDS'>;
  logger: Logger;
  metrics?: DeliveryMetrics;
}

/**
 * Where the job stands in its retries, from BullMQ's `attemptsMade` and `opts.attempts`.
 * @defaultValue a single attempt: called outside BullMQ, a transient failure is final
 */
export interface Attempt {
  /** Attempts that failed before this one. */
  attemptsMade: number;
  /** Attempts the job has in all. */
  attempts: number;
}

export type DeliverPayload = ParsedPayloadOf<'notification.deliver'>;
export type DeliverResult = ResultOf<'notification.deliver'>;

/** Attempts to record `sent` before giving up; the email is out, the mark must follow it. */
const MARK_TRIES = 3;
const MARK_RETRY_MS = 200;

/** The answer for a row whose email is already settled: nothing is sent again. */
function settledOutcome(row: DeliveryRow): DeliverResult | null {
  switch (row.emailStatus) {
    case 'sent':
      return { outcome: 'already-sent' };
    case 'skipped':
    case 'digest':
      return { outcome: 'skipped', reason: row.emailReason ?? row.emailStatus };
    case 'failed':
      return { outcome: 'skipped', reason: `failed: ${row.emailReason ?? 'unknown'}` };
    case 'pending':
    case 'sending':
      return null;
  }
}

type Plan =
  { send: true; to: string } | { send: false; status: 'skipped' | 'digest'; reason: string };

/**
 * The spec's rules, then the address: a user without one gets `skipped`, `no-email-address`.
 * A digest is recorded even without an address, since the address may arrive (with the
 * user's next token) before the digest runs, and the digest worker checks it then.
 */
function planOf(row: DeliveryRow): Plan {
  const decision = decideEmail(row, row.preferences ?? defaultPreferences);
  if (decision.action === 'skip')
    return { send: false, status: 'skipped', reason: decision.reason };
  if (decision.action === 'digest')
    return { send: false, status: 'digest', reason: decision.reason };
  if (!row.email) return { send: false, status: 'skipped', reason: 'no-email-address' };
  return { send: true, to: row.email };
}

async function markSentWithRetries(
  deps: DeliverDeps,
  notificationId: string,
  log: Logger,
): Promise<void> {
  for (let tries = 1; ; tries += 1) {
    try {
      await markSent(deps.db, notificationId);
      return;
    } catch (error) {
      if (tries >= MARK_TRIES) {
        log.error(
          { err: error },
          'email accepted by the relay but not marked sent; a retry after the claim lease may send it again, with the same Message-ID',
        );
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, MARK_RETRY_MS * tries));
    }
  }
}

/**
 * Delivers one notification's email, at most once per notification in every case but one:
 *
 * 1. A row already `sent`, `skipped`, `digest` or `failed` sends nothing.
 * 2. The spec's rules (`decideEmail`) decide; `skipped` and `digest` are recorded, no email.
 * 3. CLAIM: one conditional UPDATE (`pending`, or `sending` under a claim older than the lease,
 *    becomes `sending`); a worker that claims nothing sends nothing.
 * 4. SEND with the constant Message-ID `<notification-<id>@EMAIL_ID_DOMAIN>`.
 * 5. MARK `sent` as soon as the relay answered 250.
 *
 * The one window: a crash (or a database that stays away) after the relay's 250 and before the
 * mark leaves the row `sending`; once the lease expires the sweep hands it back and it is sent
 * again. No protocol closes that window without the relay's help, since SMTP has no
 * idempotency key; what it can do is make the duplicate the same message: every attempt carries
 * one Message-ID, so it is recognisable as a duplicate, and systems that deduplicate by
 * Message-ID drop it.
 *
 * Failures: a permanent SMTP refusal marks `failed` and throws `UnrecoverableError` (no retry);
 * a transient one puts the row back to `pending` and throws so BullMQ retries with backoff; on
 * the last attempt it marks `failed`.
 */
export async function deliverNotification(
  deps: DeliverDeps,
  payload: DeliverPayload,
  attempt: Attempt = { attemptsMade: 0, attempts: 1 },
): Promise<DeliverResult> {
  const { notificationId } = payload;
  const log = deps.logger.child({ notificationId, requestId: payload.requestId });
  const lease = deps.config.CLAIM_LEASE_SECONDS;

  const row = await loadForDelivery(deps.db, notificationId);
  if (!row) {
    // Deleted by its user before its email went out: nothing to send, nothing to retry.
    log.info('notification not found, nothing to send');
    deps.metrics?.outcome('skipped');
    return { outcome: 'skipped', reason: 'notification-not-found' };
  }
  const settled = settledOutcome(row);
  if (settled) {
    log.info({ emailStatus: row.emailStatus }, 'email already settled, nothing sent');
    deps.metrics?.outcome('already-handled');
    return settled;
  }

  const plan = planOf(row);
  if (!plan.send) {
    if (!(await recordDecision(deps.db, notificationId, lease, plan))) {
      log.info('email handled by another worker meanwhile');
      deps.metrics?.outcome('already-handled');
      return { outcome: 'already-sent', reason: 'handled-by-another-worker' };
    }
    log.info(
      { reason: plan.reason },
      plan.status === 'digest' ? 'email left for the digest' : 'email skipped',
    );
    deps.metrics?.outcome(plan.status);
    return { outcome: 'skipped', reason: plan.reason };
  }

  const claim = await claimForSending(deps.db, notificationId, lease);
  if (claim === null) {
    log.info('email claimed by another worker, nothing sent');
    deps.metrics?.outcome('already-handled');
    return { outcome: 'already-sent', reason: 'claimed-by-another-worker' };
  }

  const email = renderNotificationEmail(row, {
    appUrl: deps.config.APP_URL,
    idDomain: deps.config.EMAIL_ID_DOMAIN,
  });
  let sent: SentEmail;
  const stopTimer = deps.metrics?.timeSend();
  try {
    sent = await deps.mailer.send(plan.to, email);
  } catch (error) {
    const failure = classifySmtpError(error);
    const last = attempt.attemptsMade + 1 >= attempt.attempts;
    const context = { err: error, emailAttempt: claim, reason: failure.reason };
    if (failure.permanent || last) {
      await releaseClaim(deps.db, notificationId, claim, {
        status: 'failed',
        reason: failure.reason,
      });
      deps.metrics?.outcome('failed');
      log.error(
        context,
        failure.permanent ? 'email refused for good' : 'email failed on its last attempt',
      );
      if (failure.permanent) throw new UnrecoverableError(`email refused: ${failure.reason}`);
      throw new Error(`email failed on its last attempt: ${failure.reason}`);
    }
    await releaseClaim(deps.db, notificationId, claim, {
      status: 'pending',
      reason: failure.reason,
    });
    deps.metrics?.outcome('retry');
    log.warn(context, 'email not sent, will retry');
    throw new Error(`email not sent, will retry: ${failure.reason}`);
  } finally {
    stopTimer?.();
  }

  await markSentWithRetries(deps, notificationId, log);
  deps.metrics?.outcome('sent');
  log.info(
    { messageId: sent.messageId, response: sent.response, emailAttempt: claim },
    'email sent',
  );
  return { outcome: 'sent' };
}
