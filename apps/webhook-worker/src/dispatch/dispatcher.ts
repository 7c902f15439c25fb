import { setTimeout as sleep } from 'node:timers/promises';
import { createProducer } from '@conveyor/queue-contracts/producer';
import type { Resolver } from '@conveyor/url-guard/connect';
import { targetPolicyOf } from '@conveyor/webhooks/config';
import { signedHeaders } from '@conveyor/webhooks/signing';
import type { WorkerDeps } from '@conveyor/worker-kit/main';
import type { Config } from '../config.js';
import { claimDue, releaseClaims, type ClaimedDelivery } from './claim.js';
import { databaseCause } from './db-error.js';
import { notifyDisabled } from './disabled-notice.js';
import { createLanes } from './lanes.js';
import { createDispatchMetrics } from './metrics.js';
import { decideOutcome } from './outcomes.js';
import { createOutcomeWriter } from './outcome-writer.js';
import { retryPolicyOf } from './retry-policy.js';
import { createSender } from './sender.js';
import { createWakeUp } from './wake-up.js';

export type DispatcherDeps = WorkerDeps<Config> & {
  /** This instance's name on the deliveries it claims; stable across restarts. */
  workerName: string;
  /** DNS resolution of endpoint hosts. @defaultValue the system resolver */
  resolve?: Resolver;
};

export interface Dispatcher {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Looks for due deliveries now rather than at the next poll (after new ones were stored). */
  wake(): void;
}

export const USER_AGENT = 'Conveyor-Webhooks/1.0';

/** How long `stop` keeps trying to store outcomes and give claims back while PostgreSQL fails. */
const SHUTDOWN_WRITE_MS = 5_000;
const claimBackoffMs = (failures: number) => Math.min(100 * 2 ** failures, 5_000);

/** The request of one attempt: the stored bytes, signed now with every live secret. */
function requestOf(delivery: ClaimedDelivery) {
  return {
    url: delivery.url,
    body: delivery.body,
    headers: {
      ...signedHeaders(delivery.secrets, delivery.messageId, delivery.body),
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
    },
  };
}

/**
 * Sends due webhook deliveries, PostgreSQL being the queue: one loop claims what is due (see
 * `claimDue`) into per-endpoint lanes (see `createLanes`), sends it signed through the
 * SSRF-checked client, and hands each outcome to the batching writer, which schedules retries,
 * logs attempts and keeps endpoint health. The loop claims again as soon as there is room,
 * and looks every WEBHOOK_POLL_MS when there was nothing due. When PostgreSQL fails, claims back
 * off and resume by themselves.
 */
export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { config, workerName } = deps;
  const db = deps.db.db;
  const logger = deps.logger.child({ component: 'webhook-dispatcher' });
  const metrics = createDispatchMetrics(deps.metrics);
  const retryPolicy = retryPolicyOf(config);
  const policy = { ...targetPolicyOf(config), ...(deps.resolve ? { resolve: deps.resolve } : {}) };
  const sender = createSender({ policy, timeoutMs: config.WEBHOOK_TIMEOUT_MS });
  const lanes = createLanes({
    concurrency: config.WEBHOOK_CONCURRENCY,
    perEndpoint: config.WEBHOOK_ENDPOINT_CONCURRENCY,
  });
  // Notices of disabled endpoints go through the notifications service's own producer.
  const producer = createProducer({
    connection: deps.redis,
    prefix: config.BULL_PREFIX,
    onError: (err) => logger.warn({ err }, 'webhooks: notification queue error'),
  });
  const notifyDeps = {
    db,
    producer,
    events: { redis: deps.redis, prefix: config.BULL_PREFIX },
  };

  let stopping = false;
  let loopDone: Promise<void> | null = null;
  let stopped: Promise<void> | null = null;
  /** Ends the loop's current pause: room was made, or new work may be due. */
  const { wake, pause } = createWakeUp();
  const inFlight = new Set<Promise<void>>();

  const writer = createOutcomeWriter({
    db,
    workerName,
    disableAfterHours: config.WEBHOOK_DISABLE_AFTER_HOURS,
    notify: (endpoint) => notifyDisabled(notifyDeps, endpoint, config.WEBHOOK_DISABLE_AFTER_HOURS),
    logger,
    metrics,
    onStored: wake,
  });

  const attempt = async (delivery: ClaimedDelivery) => {
    const result = await sender.send(requestOf(delivery));
    metrics.attempt(result);
    await writer.add(decideOutcome(delivery, result, retryPolicy));
  };

  /** Starts every waiting delivery that has a free slot. */
  const pump = () => {
    if (stopping) return;
    for (let delivery = lanes.next(); delivery; delivery = lanes.next()) {
      const { endpointId } = delivery;
      const sending: Promise<void> = attempt(delivery)
        .catch((error: unknown) => logger.error({ err: error }, 'webhooks: attempt failed'))
        .finally(() => {
          inFlight.delete(sending);
          lanes.done(endpointId);
          metrics.inFlight(lanes.sending);
          pump();
          wake();
        });
      inFlight.add(sending);
    }
    metrics.inFlight(lanes.sending);
  };

  const loop = async () => {
    let failures = 0;
    while (!stopping) {
      const room = lanes.claimRoom();
      if (room.total === 0) {
        await pause(config.WEBHOOK_POLL_MS);
        continue;
      }
      let claimed: ClaimedDelivery[];
      try {
        claimed = await claimDue(db, {
          workerName,
          leaseMs: config.WEBHOOK_CLAIM_LEASE_MS,
          limit: room.total,
          perEndpoint: room.perEndpoint,
          roomByEndpoint: room.byEndpoint,
        });
        failures = 0;
      } catch (error) {
        failures += 1;
        logger.warn(
          { err: databaseCause(error), failures },
          'webhooks: could not claim deliveries; retrying',
        );
        await pause(claimBackoffMs(failures));
        continue;
      }
      metrics.claimed(claimed.length);
      lanes.add(claimed);
      pump();
      // A full claim suggests more is due: claim again at once. Otherwise wait for the poll,
      // or for room on an endpoint whose due rows the claim had to leave.
      if (claimed.length < room.total) await pause(config.WEBHOOK_POLL_MS);
    }
  };

  /** Gives back what was claimed but not sent, so it waits for no lease. */
  const releaseWaiting = async () => {
    const ids = lanes.drainWaiting().map((delivery) => delivery.id);
    const deadline = Date.now() + SHUTDOWN_WRITE_MS;
    for (let failures = 1; ids.length > 0; failures += 1) {
      try {
        await releaseClaims(db, workerName, ids);
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          logger.error(
            { err: databaseCause(error), count: ids.length },
            'webhooks: claims not given back',
          );
          return;
        }
        await sleep(claimBackoffMs(failures));
      }
    }
  };

  /**
   * Stops claiming, gives back the deliveries claimed but not started, lets the requests in
   * flight end (each within WEBHOOK_TIMEOUT_MS), stores their outcomes, and closes the client.
   */
  const shutDown = async () => {
    stopping = true;
    wake();
    if (loopDone) await loopDone;
    await releaseWaiting();
    await Promise.all(inFlight);
    await writer.close(SHUTDOWN_WRITE_MS);
    await Promise.allSettled([sender.close(), producer.close()]);
  };

  return {
    async start() {
      if (stopped) throw new Error('the webhook dispatcher was stopped; create another');
      if (loopDone) return;
      // Ours from before a crash or a kill: due again now, not when their lease runs out.
      const released = await releaseClaims(db, workerName);
      if (released > 0) logger.info({ released }, 'webhooks: took back deliveries of a past run');
      loopDone = loop();
    },

    stop: () => (stopped ??= shutDown()),

    wake,
  };
}
