import { createJobCanceller } from '@conveyor/job-events/cancel';
import { createJobInfoReader } from '@conveyor/job-events/job-info';
import { jobEventsQueues } from '@conveyor/job-events/registry';
import { jobCatalog } from '@conveyor/queue-contracts';
import { createProducer } from '@conveyor/queue-contracts/producer';
import type { ServiceDeps } from '@conveyor/service-kit/main';
import { createBackendService } from '@conveyor/service-kit/service-base';
import { targetPolicyOf } from '@conveyor/webhooks/config';
import type { Config } from './config.js';
import { queuesOf, type JobCatalog } from './jobs/catalog.js';
import { createResourceChecks } from './jobs/resource-checks.js';
import { createJobSubmitter } from './jobs/submit.js';
import { createJobWaiter } from './jobs/wait.js';
import jobEvents from './plugins/job-events.js';
import jobRunsRetention from './plugins/job-runs-retention.js';
import jobsRepository from './plugins/jobs-repository.js';
import { realtimeOpenApiPaths } from './realtime/openapi.js';
import realtimePlugin from './realtime/plugin.js';
import jobRoutes from './routes/jobs/index.js';
import webhookRoutes from './routes/webhooks/index.js';
import { createDeliveriesRepository } from './webhooks/deliveries-repository.js';
import { createEndpointsRepository } from './webhooks/endpoints-repository.js';
import { createTargetCheck } from './webhooks/target-check.js';

export interface AppDeps extends ServiceDeps<Config> {
  /**
   * The jobs users may submit (those marked `userSubmittable`) and that the service knows.
   * @defaultValue queue-contracts' `jobCatalog`
   */
  catalog?: JobCatalog;
}

/** The job feedback service (spec 004): /api/jobs, /api/realtime and /api/webhooks. */
export async function buildApp(deps: AppDeps) {
  const { config } = deps;
  const catalog = deps.catalog ?? jobCatalog;
  const app = await createBackendService(deps, {
    title: 'Conveyor job feedback',
    description:
      'User jobs and webhooks: polling, real-time events and signed webhook delivery (spec 004).',
    version: '1.0.0',
    paths: realtimeOpenApiPaths,
  });

  // Submitted jobs, and reads and removals of the caller's jobs. The producer shares the
  // fail-fast request connection (BullMQ never closes a connection it was given), so closing it
  // here releases only its queues; main.ts closes the connection after the app. The catalog's
  // queues open now, while Redis is known to answer, so a later outage fails a request at once.
  const producer = createProducer({
    open: queuesOf(catalog),
    connection: deps.redis,
    prefix: config.BULL_PREFIX,
    onError: (err) => app.log.warn({ err }, 'job queue error'),
  });
  app.addHook('onClose', async () => {
    await producer.close();
  });

  await app.register(jobsRepository, { db: deps.db.db });
  // Every queue a user's job may run on, the catalog's own included.
  const queues = [...new Set([...jobEventsQueues(), ...queuesOf(catalog)])];
  await app.register(jobEvents, { config, db: deps.db.db, logger: deps.logger, queues });
  await app.register(jobRunsRetention, { config, db: deps.db.db, logger: deps.logger });

  const jobs = app.jobsRepository;
  await app.register(jobRoutes, {
    prefix: '/api/jobs',
    submit: createJobSubmitter({
      catalog,
      producer,
      jobs,
      // One read per submitted job, each of a new job: nothing worth caching.
      readJobInfo: createJobInfoReader(deps.redis, config.BULL_PREFIX, { cacheSize: 1 }),
      logger: deps.logger,
      resourceChecks: createResourceChecks({ db: deps.db.db }),
    }),
    cancel: createJobCanceller({
      producer,
      redis: deps.redis,
      prefix: config.BULL_PREFIX,
      db: deps.db.db,
    }),
    wait: createJobWaiter({ jobs, hub: app.jobEvents, producer }),
    waitMaxSeconds: config.JOB_WAIT_MAX_SECONDS,
  });
  await app.register(realtimePlugin, { hub: app.jobEvents, redis: deps.redis, jobs, config });
  await app.register(webhookRoutes, {
    prefix: '/api/webhooks',
    endpoints: createEndpointsRepository(deps.db.db),
    deliveries: createDeliveriesRepository(deps.db.db),
    // The policy the webhook worker applies at every delivery, so nothing registered here is
    // refused there unless its host's addresses change.
    checkTarget: createTargetCheck(targetPolicyOf(config)),
    maxEndpoints: config.WEBHOOK_MAX_ENDPOINTS_PER_USER,
    secretGraceHours: config.WEBHOOK_SECRET_GRACE_HOURS,
  });
  return app;
}
