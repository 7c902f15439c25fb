import { hostname } from 'node:os';
import type { RunningWorker, WorkerDeps } from '@conveyor/worker-kit/main';
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
  deps.logger.info({ workerName }, 'webhook worker started');
  return {
    close: async () => {
      await Promise.allSettled([fanOut.stop(), dispatcher.stop(), retention.stop()]);
    },
  };
}
