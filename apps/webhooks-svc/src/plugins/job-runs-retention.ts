import type { Database } from '@conveyor/db/client';
import { pruneJobRuns } from '@conveyor/job-events/registry';
import type { Logger } from '@conveyor/runtime/logger';
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

export interface JobRunsRetention {
  /** Prunes now, without waiting for it, then every `everyMs`. */
  start(): void;
  /** Clears the timer and waits for a prune in hand, which stops after its current chunk. */
  stop(): Promise<void>;
}

/**
 * Prunes on a timer. Every instance running the consumer prunes, with no lead to take: a prune
 * is idempotent, so instances pruning at once only share the rows. Unref'd, so it never keeps
 * a process alive; a failed prune (the database away) is logged and retried by the next.
 */
export function createJobRunsRetention(
  options: RetentionOptions & { everyMs?: number },
): JobRunsRetention {
  const everyMs = options.everyMs ?? PRUNE_EVERY_MS;
  let timer: NodeJS.Timeout | undefined;
  let stopping: AbortController | undefined;
  let inFlight: Promise<void> | undefined;

  const run = () => {
    // A prune still going when the next is due (a long first backlog) is not run twice.
    if (inFlight || !stopping) return;
    const { signal } = stopping;
    inFlight = pruneExpiredJobRuns(options, signal)
      .then(
        () => undefined,
        (err: unknown) => options.logger.warn({ err }, 'job_runs pruning failed'),
      )
      .finally(() => {
        inFlight = undefined;
      });
  };

  return {
    start() {
      if (timer) return;
      stopping = new AbortController();
      run();
      timer = setInterval(run, everyMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      stopping?.abort();
      stopping = undefined;
      await inFlight;
    },
  };
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
