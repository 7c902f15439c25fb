import { hostname } from 'node:os';
import type { Registry } from '@conveyor/runtime/metrics';
import type { RunningWorker, WorkerDeps } from '@conveyor/worker-kit/main';
import type { WorkTally } from '@conveyor/worker-kit/presence';
import { joinPresence } from '@conveyor/worker-kit/presence-scope';
import type { Config } from './config.js';
import { createDispatcher } from './dispatch/dispatcher.js';
import { createFanOut } from './fanout/fan-out.js';
import { createRetention } from './retention.js';

export type WebhookWorkerDeps = WorkerDeps<Config>;

/**
 * The webhook worker: turns the job event streams into messages and deliveries in PostgreSQL
 * (fan-out), sends the due deliveries signed, with retries (dispatcher), and prunes old
 * messages (retention). `close` stops all three after the work in hand; the connections in
 * `deps` stay the caller's.
 */
export async function createWebhookWorker(deps: WebhookWorkerDeps): Promise<RunningWorker> {
  const workerName = deps.config.WORKER_NAME ?? `${hostname()}:webhook-worker`;
  const dispatcher = createDispatcher({ ...deps, workerName });
  // Deliveries the fan-out stores are sent at once by this instance, not at its next poll.
  const fanOut = createFanOut({ ...deps, workerName, onDeliveries: () => dispatcher.wake() });
  const retention = createRetention(deps);
  await fanOut.start();
  try {
    await dispatcher.start();
  } catch (error) {
    await fanOut.stop();
    throw error;
  }
  retention.start();
  // Not a BullMQ worker, so it announces itself: its work is webhook deliveries.
  const presence = joinPresence({
    queues: ['webhooks'],
    concurrency: deps.config.WEBHOOK_CONCURRENCY,
    tally: () => deliveryTally(deps.metrics),
  });
  deps.logger.info({ workerName }, 'webhook worker started');
  return {
    close: async () => {
      await Promise.allSettled([fanOut.stop(), dispatcher.stop(), retention.stop()]);
      await presence?.close();
    },
  };
}

/**
 * Deliveries done and failed, and requests in flight, read from the dispatcher's own metrics:
 * one count, kept where every attempt already passes, rather than a second one beside it.
 */
async function deliveryTally(metrics: Registry): Promise<WorkTally> {
  const [attempts, inFlight] = await Promise.all([
    metrics.getSingleMetric('webhook_attempts_total')?.get(),
    metrics.getSingleMetric('webhook_requests_in_flight')?.get(),
  ]);
  const tally: WorkTally = { completed: 0, failed: 0, active: inFlight?.values[0]?.value ?? 0 };
  for (const { labels, value } of attempts?.values ?? []) {
    if (labels.outcome === 'succeeded') tally.completed += value;
    else tally.failed += value;
  }
  return tally;
}
