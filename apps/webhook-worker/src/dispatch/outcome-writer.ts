import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '@conveyor/db/client';
import type { Logger } from '@conveyor/runtime/logger';
import { databaseCause } from './db-error.js';
import { applyEndpointHealth, type DisabledEndpoint } from './endpoint-health.js';
import type { DispatchMetrics } from './metrics.js';
import type { DeliveryOutcome } from './outcomes.js';
import { writeOutcomes } from './outcome-store.js';

export interface OutcomeWriterOptions {
  db: Database;
  workerName: string;
  disableAfterHours: number;
  /** Tells an endpoint's owner it was turned off. */
  notify: (endpoint: DisabledEndpoint) => Promise<void>;
  logger: Logger;
  metrics: DispatchMetrics;
  /** Outcomes were stored: their deliveries no longer count against the claim room. */
  onStored: () => void;
}

/** Outcomes stored per transaction at most. */
const MAX_BATCH = 1_000;
const retryDelayMs = (failures: number) => Math.min(100 * 2 ** failures, 5_000);

/**
 * Stores attempt outcomes in batches: one transaction (endpoint health, deliveries, attempt
 * log) for everything that ended while the previous one ran, so under load a few statements
 * carry hundreds of outcomes, and at rest an outcome is written on the next turn of the event
 * loop. When PostgreSQL fails, the outcomes stay queued and the batch is tried again with
 * backoff until it is stored; nothing is dropped while the process lives. The owners of
 * endpoints a batch turned off are told after its commit, each once.
 */
export function createOutcomeWriter(options: OutcomeWriterOptions) {
  const { db, logger, metrics } = options;
  /** Outcomes to store, each with the resolver of the promise its attempt waits on. */
  const queue: { outcome: DeliveryOutcome; stored: () => void }[] = [];
  const notices: DisabledEndpoint[] = [];
  let running: Promise<void> | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let failures = 0;

  const store = (batch: readonly DeliveryOutcome[]) =>
    db.transaction(async (tx) => {
      // Endpoints first: a retry of an endpoint this batch turns off then fails with it.
      const disabled = await applyEndpointHealth(tx, batch, options.disableAfterHours);
      await writeOutcomes(tx, options.workerName, batch);
      return disabled;
    });

  const retryLater = () => {
    failures += 1;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      kick();
    }, retryDelayMs(failures));
    retryTimer.unref();
  };

  const sendNotices = async () => {
    while (notices.length > 0) {
      const endpoint = notices[0]!;
      try {
        await options.notify(endpoint);
        notices.shift();
      } catch (error) {
        logger.warn(
          { err: error, endpointId: endpoint.id },
          'webhooks: could not notify the owner',
        );
        retryLater();
        return;
      }
    }
  };

  const drain = async () => {
    // Outcomes of the attempts ending in this same turn join the batch.
    await nextTurn();
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      try {
        const disabled = await store(batch.map((item) => item.outcome));
        queue.splice(0, batch.length);
        for (const item of batch) item.stored();
        failures = 0;
        for (const endpoint of disabled) {
          metrics.endpointDisabled(endpoint.reason);
          logger.info(
            { endpointId: endpoint.id, reason: endpoint.reason },
            'webhooks: endpoint disabled',
          );
        }
        notices.push(...disabled);
        options.onStored();
      } catch (error) {
        metrics.writeFailed();
        logger.warn(
          { err: databaseCause(error), queued: queue.length },
          'webhooks: could not store outcomes; retrying',
        );
        retryLater();
        return;
      }
    }
    await sendNotices();
  };

  function kick(): void {
    if (running || retryTimer) return;
    running = drain()
      .catch((error: unknown) => logger.error({ err: error }, 'webhooks: outcome writer failed'))
      .finally(() => {
        running = null;
        if (queue.length > 0) kick();
      });
  }

  return {
    /**
     * Queues an outcome; resolves once it is stored (or given up at `close`). An attempt holds
     * its slot until then, so the attempts a crash could repeat (sent, outcome not stored) are
     * never more than the slots: at most WEBHOOK_CONCURRENCY duplicates at a receiver.
     */
    add(outcome: DeliveryOutcome): Promise<void> {
      return new Promise<void>((stored) => {
        queue.push({ outcome, stored });
        kick();
      });
    },

    /**
     * Stores what is queued, trying for at most `timeoutMs` when PostgreSQL fails. Outcomes it
     * could not store are logged: their deliveries are sent again once their lease runs out.
     */
    async close(timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (retryTimer) {
          clearTimeout(retryTimer);
          retryTimer = null;
        }
        kick();
        await running;
        if ((queue.length === 0 && notices.length === 0) || Date.now() >= deadline) break;
        await sleep(Math.min(retryDelayMs(failures), Math.max(0, deadline - Date.now())));
      }
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      if (queue.length > 0) {
        logger.error(
          { unstored: queue.length },
          'webhooks: outcomes not stored at shutdown; their deliveries will be sent again after their lease',
        );
        for (const item of queue.splice(0)) item.stored();
      }
      if (notices.length > 0) {
        logger.error(
          { endpointIds: notices.map((endpoint) => endpoint.id) },
          'webhooks: owners of disabled endpoints not notified',
        );
      }
    },
  };
}

export type OutcomeWriter = ReturnType<typeof createOutcomeWriter>;
