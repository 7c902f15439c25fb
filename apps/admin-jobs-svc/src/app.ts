import { createJobEventHub } from '@conveyor/job-events/hub';
import { queueNames } from '@conveyor/queue-contracts';
import { createProducer } from '@conveyor/queue-contracts/producer';
import type { ServiceDeps } from '@conveyor/service-kit/main';
import { createBackendService } from '@conveyor/service-kit/service-base';
import { startBulkWorker } from './bulk/bulk-worker.js';
import type { Config } from './config.js';
import auditRoutes from './routes/audit/index.js';
import batchRoutes from './routes/batches/index.js';
import bulkRoutes from './routes/bulk/index.js';
import healthRoutes from './routes/health/index.js';
import jobRoutes from './routes/jobs/index.js';
import queueRoutes from './routes/queues/index.js';
import statsRoutes from './routes/stats/index.js';
import { streamOpenApiPaths } from './stream/openapi.js';
import streamPlugin from './stream/plugin.js';

export type AppDeps = ServiceDeps<Config>;

/** The admin job monitoring service (spec 002, 003): /api/admin/jobs, ADMIN only. */
export async function buildApp(deps: AppDeps) {
  const { config } = deps;
  const app = await createBackendService(deps, {
    title: 'Conveyor admin jobs',
    description:
      'Admin job monitoring: health, queues, jobs, actions and a live stream (spec 002, 003). ADMIN only.',
    version: '1.0.0',
    paths: streamOpenApiPaths,
  });

  // Every queue of the platform, opened now while Redis is known to answer. The producer shares
  // the fail-fast request connection; main.ts closes the connection after the app.
  const queues = createProducer({
    open: queueNames,
    connection: deps.redis,
    prefix: config.BULL_PREFIX,
    onError: (err) => app.log.warn({ err }, 'job queue error'),
  });
  // The admin-bulk worker (bulk retry and cancel batches) runs in this process; it acts through
  // the queues above, so it stops before they close.
  const bulkWorker = startBulkWorker({
    config,
    logger: deps.logger,
    db: deps.db.db,
    redis: deps.redis,
    producer: queues,
  });
  app.addHook('onClose', async () => {
    await bulkWorker.close();
    await queues.close();
  });

  // Every queue's events, for long polls and the live `tasks` rooms: its own Redis
  // connections, since it blocks on XREAD.
  const hub = await createJobEventHub({
    redisUrl: config.REDIS_URL,
    prefix: config.BULL_PREFIX,
    queues: queueNames,
    logger: deps.logger.child({ component: 'admin-job-event-hub' }),
  });
  app.addHook('onClose', async () => {
    await hub.close();
  });

  // The live stream judges its own handshake (a ticket, then the ADMIN role).
  await app.register(streamPlugin, {
    hub,
    queues,
    db: deps.db.db,
    redis: deps.redis,
    config,
    logger: deps.logger,
  });

  // ADMIN only, checked here as well as in the gateway: a request that reaches the service
  // another way is refused the same.
  await app.register(
    async (admin) => {
      admin.addHook('onRequest', admin.authenticate);
      admin.addHook('onRequest', admin.requireAdmin);
      // Route plugins register here, one line each.
      await admin.register(jobRoutes, { prefix: '/jobs', deps, queues, hub });
      await admin.register(statsRoutes, { queues, db: deps.db.db });
      await admin.register(queueRoutes, { queues, db: deps.db.db });
      await admin.register(auditRoutes, { queues, db: deps.db.db });
      await admin.register(healthRoutes, { queues, redis: deps.redis, config });
      await admin.register(bulkRoutes, { queues, db: deps.db.db, config });
      await admin.register(batchRoutes, { db: deps.db.db });
    },
    { prefix: '/api/admin/jobs' },
  );
  return app;
}
