import type { Database } from '@conveyor/db/client';
import type { ParsedPayloadOf, ResultOf } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { Logger } from '@conveyor/runtime/logger';
import { chunksOf, enqueueChunks } from '../chunk-jobs.js';
import type { Config } from '../config.js';
import { failInterrupted, findOpenChunks, finishDoneRuns } from '../digest-deliveries.js';
import type { DigestMetrics } from '../digest-metrics.js';
import { hoursToPlan, lastPlannedHour, planHour } from '../digest-plan.js';

export interface TickDeps {
  db: Database;
  producer: Producer;
  config: Pick<Config, 'DIGEST_CHUNK_SIZE' | 'DIGEST_CATCH_UP_HOURS' | 'CLAIM_LEASE_SECONDS'>;
  logger: Logger;
  /** The clock: injected so tests run any hour without waiting for it. */
  now: () => Date;
  metrics?: DigestMetrics;
}

export type TickPayload = ParsedPayloadOf<'digest.tick'>;
export type TickResult = ResultOf<'digest.tick'>;

/**
 * Open chunks planned longer ago than this are handed to the queue again; younger ones are
 * most likely still queued from their planning.
 */
const REDISPATCH_GRACE_SECONDS = 15 * 60;

/**
 * The hourly tick. Plans every hour since the last planned one (so hours missed while every
 * worker was down are caught up, each once), fans each run out into chunk jobs, and then does
 * the housekeeping that makes the digests recover by themselves: `sending` digests of a dead
 * worker are settled as failed (never resent), and chunks still open after the grace are
 * queued again. Safe to run twice, late, or on two instances at once.
 */
export async function tickDigests(deps: TickDeps, payload: TickPayload): Promise<TickResult> {
  const { db, config } = deps;
  const log = deps.logger.child({ job: 'digest.tick', requestId: payload.requestId });
  const hours = hoursToPlan(await lastPlannedHour(db), deps.now(), config.DIGEST_CATCH_UP_HOURS);

  let hoursPlanned = 0;
  let runsPlanned = 0;
  let chunksEnqueued = 0;
  for (const hour of hours) {
    const runs = await planHour(db, hour, config.DIGEST_CHUNK_SIZE);
    if (runs === null) continue; // another tick planned this hour
    hoursPlanned += 1;
    for (const run of runs) {
      runsPlanned += 1;
      log.info({ hour, ...run }, 'digest run planned');
      // A crash before this add leaves the chunks to the re-dispatch below, in a later tick.
      chunksEnqueued += await enqueueChunks(deps.producer, chunksOf(run.runId, run.chunks));
    }
  }

  const interrupted = await failInterrupted(db, config.CLAIM_LEASE_SECONDS);
  if (interrupted > 0) {
    deps.metrics?.interrupted(interrupted);
    log.warn({ interrupted }, 'digests interrupted mid-send marked failed, not resent');
    await finishDoneRuns(db);
  }
  const open = await findOpenChunks(db, REDISPATCH_GRACE_SECONDS);
  if (open.length > 0) {
    chunksEnqueued += await enqueueChunks(deps.producer, open, { replaceFinished: true });
    log.info({ chunks: open.length }, 'open digest chunks handed to the queue again');
  }
  return { hoursPlanned, runsPlanned, chunksEnqueued };
}
