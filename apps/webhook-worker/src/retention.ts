import { createPeriodicTask, type PeriodicTask } from '@conveyor/runtime/periodic';
import type { WorkerDeps } from '@conveyor/worker-kit/main';
import type { Config } from './config.js';
import { pruneWebhookMessages } from './prune-messages.js';

/** Four prunes a day: a day's messages never pile up, and each prune stays small. */
export const PRUNE_EVERY_MS = 6 * 60 * 60 * 1000;

export type RetentionDeps = Pick<WorkerDeps<Config>, 'config' | 'logger' | 'db'>;

/**
 * Deletes delivered messages past WEBHOOK_RETENTION_DAYS on a timer. Every instance prunes,
 * with no lead to take: a prune is idempotent, so instances pruning at once only share the
 * rows.
 */
export function createRetention(deps: RetentionDeps, everyMs = PRUNE_EVERY_MS): PeriodicTask {
  const retentionDays = deps.config.WEBHOOK_RETENTION_DAYS;
  const logger = deps.logger.child({ component: 'webhook-retention' });
  return createPeriodicTask({
    everyMs,
    run: async (signal) => {
      const deleted = await pruneWebhookMessages(deps.db.db, retentionDays, signal);
      logger.info({ deleted, retentionDays }, 'webhook messages pruned');
    },
    onError: (err) => logger.warn({ err }, 'webhook message pruning failed'),
  });
}
