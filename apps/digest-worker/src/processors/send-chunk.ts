import type { Database } from '@conveyor/db/client';
import type { Mailer } from '@conveyor/mail/mailer';
import { classifySmtpError } from '@conveyor/mail/smtp-errors';
import type { ParsedPayloadOf, ResultOf } from '@conveyor/queue-contracts';
import type { Logger } from '@conveyor/runtime/logger';
import type { Config } from '../config.js';
import {
  claimDigest,
  failInterrupted,
  finishDoneRuns,
  loadChunk,
  loadItems,
  markDigestSent,
  releaseDigest,
  skipDigest,
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

/** What became of one digest; `reason` says why a retry is needed. */
interface Result {
  outcome: Outcome;
  reason?: string;
}

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

async function markSentWithRetries(
  deps: ChunkDeps,
  pg: Stopwatch,
  row: ChunkRow,
  count: number,
  log: Logger,
) {
  for (let tries = 1; ; tries += 1) {
    try {
      await pg.time(markDigestSent(deps.db, row.id, count));
      return;
    } catch (error) {
      if (tries >= MARK_TRIES) {
        // The row stays `sending`; once the lease passes it is settled as failed, never resent.
        log.error(
          { err: error, deliveryId: row.id },
          'digest accepted by the relay but not marked sent',
        );
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, MARK_RETRY_MS * tries));
    }
  }
}

/** Claim, send, mark: one digest, sent at most once. */
async function sendOne(
  deps: ChunkDeps,
  pg: Stopwatch,
  row: ChunkRow,
  items: readonly DigestItem[],
  log: Logger,
): Promise<Result> {
  const reason = skipReason(row, items);
  if (reason !== null) {
    return { outcome: (await pg.time(skipDigest(deps.db, row.id, reason))) ? 'skipped' : 'taken' };
  }

  const claim = await pg.time(claimDigest(deps.db, row.id));
  if (claim === null) return { outcome: 'taken' };

  const email = renderDigestEmail(
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
    return failure.permanent ? { outcome: 'failed' } : { outcome: 'retry', reason: failure.reason };
  } finally {
    stopTimer?.();
  }
  await markSentWithRetries(deps, pg, row, items.length, log);
  return { outcome: 'sent' };
}

/** Runs `work` on every item with at most `limit` at once. */
async function eachWithLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
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
  counts.failed += await pg.time(failInterrupted(deps.db, deps.config.CLAIM_LEASE_SECONDS, runId));
  const pending = (await pg.time(loadChunk(deps.db, runId, chunk))).filter(
    (row) => row.status === 'pending',
  );
  const items = await pg.time(
    loadItems(
      deps.db,
      pending.map((row) => row.id),
    ),
  );
  let lastRetryReason: string | undefined;
  await eachWithLimit(pending, deps.config.SMTP_POOL_SIZE, async (row) => {
    const { outcome, reason } = await sendOne(deps, pg, row, items.get(row.id) ?? [], log);
    counts[outcome] += 1;
    deps.metrics?.outcome(outcome);
    if (reason !== undefined) lastRetryReason = reason;
  });
  await pg.time(finishDoneRuns(deps.db, runId));

  deps.metrics?.chunkPostgres(pg.seconds());
  log.info({ ...counts, postgresSeconds: pg.seconds() }, 'digest chunk done');
  if (counts.retry > 0) {
    throw new Error(`${counts.retry} digests not sent, will retry: ${lastRetryReason ?? ''}`);
  }
  return { sent: counts.sent, skipped: counts.skipped, failed: counts.failed };
}
