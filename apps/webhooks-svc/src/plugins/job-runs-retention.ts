import type { Database } from '@conveyor/db/client';
import { pruneJobRuns } from '@conveyor/job-events/registry';
import type { Logger } from '@conveyor/runtime/logger';
import { createPeriodicTask, type PeriodicTask } from '@conveyor/runtime/periodic';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';

/** Four prunes a day: a day's finished jobs never pile up, and each prune stays small. */
export const PRUNE_EVERY_MS = 6 * 60 * 60 * 1000;

export interface RetentionOptions {
  db: Database;
  /** JOB_RUNS_RETENTION_DAYS. */
  retentionDays: number;
  logger: Logger;
}

/** One prune, as the schedule runs it: finished runs past the retention go, and are counted. */
export async function pruneExpiredJobRuns(
  options: RetentionOptions,
  signal?: AbortSignal,
): Promise<number> {
  const deleted = await pruneJobRuns(options.db, options.retentionDays, { signal });
  options.logger.info({ deleted, retentionDays: options.retentionDays }, 'job_runs pruned');
  return deleted;
}

/**
 * Prunes on a timer. Every instance running the consumer prunes, with no lead to take: a prune
 * is idempotent, so instances pruning at once only share the rows.
 */
export function createJobRunsRetention(
  options: RetentionOptions & { everyMs?: number },
): PeriodicTask {
  return createPeriodicTask({
    everyMs: options.everyMs ?? PRUNE_EVERY_MS,
    run: async (signal) => {
      await pruneExpiredJobRuns(options, signal);
    },
    onError: (err) => options.logger.warn({ err }, 'job_runs pruning failed'),
  });
}

export interface RetentionPluginOptions {
  config: Pick<Config, 'JOB_REGISTRY_CONSUMER' | 'JOB_RUNS_RETENTION_DAYS'>;
  db: Database;
  logger: Logger;
}

/**
 * The retention of `job_runs`, run where its writer runs (JOB_REGISTRY_CONSUMER): wherever the
 * registry is written, it is pruned too. Starts once the app is ready, stops when it closes,
 * before main.ts closes the database.
 */
async function jobRunsRetention(app: FastifyInstance, options: RetentionPluginOptions) {
  if (!options.config.JOB_REGISTRY_CONSUMER) return;
  const retention = createJobRunsRetention({
    db: options.db,
    retentionDays: options.config.JOB_RUNS_RETENTION_DAYS,
    logger: options.logger.child({ component: 'job-runs-retention' }),
  });
  app.addHook('onReady', async () => {
    retention.start();
  });
  app.addHook('onClose', async () => {
    await retention.stop();
  });
}

export default fp(jobRunsRetention, { name: 'job-runs-retention', fastify: '5.x' });
