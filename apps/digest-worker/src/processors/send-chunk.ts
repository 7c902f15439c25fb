import type { Database } from '@conveyor/db/client';
import type { Mailer } from '@conveyor/mail/mailer';
import { classifySmtpError } from '@conveyor/mail/smtp-errors';
import type { ParsedPayloadOf, ResultOf } from '@conveyor/queue-contracts';
import type { Logger } from '@conveyor/runtime/logger';
import type { Config } from '../config.js';
import {
  failInterrupted,
  finishDoneRuns,
  loadChunk,
  loadItems,
  releaseDigest,
  settleAndClaim,
  skipDigest,
  type AcceptedDigest,
  type ChunkRow,
} from '../digest-deliveries.js';
import { renderDigestEmail, type DigestItem } from '../digest-email.js';
import type { DigestMetrics } from '../digest-metrics.js';

export interface ChunkDeps {
  db: Database;
  mailer: Mailer;
  config: Pick<
    Config,
    | 'APP_URL'
    | 'EMAIL_ID_DOMAIN'
    | 'CLAIM_LEASE_SECONDS'
    | 'DIGEST_ITEMS_PER_TYPE'
    | 'SMTP_POOL_SIZE'
  >;
  logger: Logger;
  metrics?: DigestMetrics;
}

export type ChunkPayload = ParsedPayloadOf<'digest.chunk'>;
export type ChunkResult = ResultOf<'digest.chunk'>;

type Outcome = 'sent' | 'skipped' | 'failed' | 'retry' | 'taken';

/** Sums the time spent awaiting PostgreSQL, lanes included: the chunk's cost in the database. */
interface Stopwatch {
  time: <T>(work: Promise<T>) => Promise<T>;
  seconds: () => number;
}

function createStopwatch(): Stopwatch {
  let total = 0;
  return {
    async time(work) {
      const started = performance.now();
      try {
        return await work;
      } finally {
        total += performance.now() - started;
      }
    },
    seconds: () => total / 1_000,
  };
}

/** Attempts to record `sent` before giving up; the email is out, the mark must follow it. */
const MARK_TRIES = 3;
const MARK_RETRY_MS = 200;

/**
 * Why a planned digest is not sent after all, read at send time: preferences changed since
 * planning, no address, or nothing left unread in the window.
 */
function skipReason(row: ChunkRow, items: readonly DigestItem[]): string | null {
  if (!row.preferences?.emailEnabled) return 'email-disabled';
  if (row.preferences.digestFrequency !== row.frequency) return 'frequency-changed';
  if (!row.email) return 'no-email-address';
  if (items.length === 0) return 'nothing-unread';
  return null;
}

/**
 * One of a chunk's parallel senders. It sends its digests one after the other and writes each
 * `sent` mark together with the claim of its next digest (`settleAndClaim`): one statement per
 * digest instead of two, which is most of what PostgreSQL costs a digest. A mark waits at most
 * for the next claim, or the lane's `finish`.
 */
function createLane(deps: ChunkDeps, pg: Stopwatch, log: Logger) {
  let accepted: AcceptedDigest | null = null;

  /** Writes the pending mark (with retries: the email is out) and claims `claimId`. */
  async function settleAndClaimWithRetries(claimId: string | null): Promise<number | null> {
    for (let tries = 1; ; tries += 1) {
      try {
        const claim = await pg.time(settleAndClaim(deps.db, accepted, claimId));
        accepted = null;
        return claim;
      } catch (error) {
        if (tries >= MARK_TRIES) {
          // The row stays `sending`; once the lease passes it is settled as failed, never resent.
          if (accepted) {
            log.error(
              { err: error, deliveryId: accepted.deliveryId },
              'digest accepted by the relay but not marked sent',
            );
          }
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, MARK_RETRY_MS * tries));
      }
    }
  }

  function render(row: ChunkRow, items: readonly DigestItem[]) {
    return renderDigestEmail(
      {
        deliveryId: row.id,
        frequency: row.frequency as 'DAILY' | 'WEEKLY',
        windowStart: row.windowStart,
        windowEnd: row.windowEnd,
        timezone: row.preferences?.timezone ?? 'UTC',
        items: [...items],
      },
      {
        appUrl: deps.config.APP_URL,
        idDomain: deps.config.EMAIL_ID_DOMAIN,
        itemsPerType: deps.config.DIGEST_ITEMS_PER_TYPE,
      },
    );
  }

  return {
    /** Claim, send, and leave the mark for the next statement: one digest, at most once. */
    async deliver(
      row: ChunkRow,
      items: readonly DigestItem[],
    ): Promise<{ outcome: Outcome; reason?: string }> {
      const reason = skipReason(row, items);
      if (reason !== null) {
        const skipped = await pg.time(skipDigest(deps.db, row.id, reason));
        return { outcome: skipped ? 'skipped' : 'taken' };
      }
      const claim = await settleAndClaimWithRetries(row.id);
      if (claim === null) return { outcome: 'taken' };

      const email = render(row, items);
      const stopTimer = deps.metrics?.timeSend();
      try {
        await deps.mailer.send(row.email!, email);
      } catch (error) {
        const failure = classifySmtpError(error);
        await pg.time(
          releaseDigest(deps.db, row.id, claim, {
            status: failure.permanent ? 'failed' : 'pending',
            reason: failure.reason,
          }),
        );
        log[failure.permanent ? 'error' : 'warn'](
          { err: error, deliveryId: row.id, reason: failure.reason },
          failure.permanent ? 'digest refused for good' : 'digest not sent, will retry',
        );
        return failure.permanent
          ? { outcome: 'failed' }
          : { outcome: 'retry', reason: failure.reason };
      } finally {
        stopTimer?.();
      }
      accepted = { deliveryId: row.id, notificationCount: items.length };
      return { outcome: 'sent' };
    },
    /** Writes the last pending mark. */
    async finish(): Promise<void> {
      if (accepted) await settleAndClaimWithRetries(null);
    },
  };
}

/**
 * Sends the digests of one chunk: its open rows and their notifications in two queries, then
 * claim, send and mark each, as many at once as the SMTP pool has connections. A digest the
 * relay refuses for good is `failed`; one it could not take now goes back to `pending` and the
 * job throws at the end, so BullMQ retries the chunk with backoff (only the pending rows are
 * sent then). `sending` rows of this run whose claim outlived the lease are settled as failed.
 */
export async function sendDigestChunk(
  deps: ChunkDeps,
  payload: ChunkPayload,
): Promise<ChunkResult> {
  const { runId, chunk } = payload;
  const log = deps.logger.child({ job: 'digest.chunk', runId, chunk });
  const counts: Record<Outcome, number> = { sent: 0, skipped: 0, failed: 0, retry: 0, taken: 0 };

  const pg = createStopwatch();
  const interrupted = await pg.time(
    failInterrupted(deps.db, deps.config.CLAIM_LEASE_SECONDS, runId),
  );
  counts.failed += interrupted;
  deps.metrics?.interrupted(interrupted);
  const pending = (await pg.time(loadChunk(deps.db, runId, chunk))).filter(
    (row) => row.status === 'pending',
  );
  const items = await pg.time(
    loadItems(
      deps.db,
      pending.map((row) => row.id),
    ),
  );

  let next = 0;
  let lastRetryReason: string | undefined;
  const laneCount = Math.min(deps.config.SMTP_POOL_SIZE, pending.length);
  await Promise.all(
    Array.from({ length: laneCount }, async () => {
      const lane = createLane(deps, pg, log);
      try {
        while (next < pending.length) {
          const row = pending[next++]!;
          const { outcome, reason } = await lane.deliver(row, items.get(row.id) ?? []);
          counts[outcome] += 1;
          deps.metrics?.outcome(outcome);
          if (reason !== undefined) lastRetryReason = reason;
        }
      } finally {
        await lane.finish();
      }
    }),
  );
  await pg.time(finishDoneRuns(deps.db, runId));

  deps.metrics?.chunkPostgres(pg.seconds());
  log.info({ ...counts, postgresSeconds: pg.seconds() }, 'digest chunk done');
  if (counts.retry > 0) {
    throw new Error(`${counts.retry} digests not sent, will retry: ${lastRetryReason ?? ''}`);
  }
  return { sent: counts.sent, skipped: counts.skipped, failed: counts.failed };
}
