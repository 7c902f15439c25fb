import { QueueName } from '@conveyor/queue-contracts';
import { createProducer } from '@conveyor/queue-contracts/producer';
import type { ServiceDeps } from '@conveyor/service-kit/main';
import { createBackendService } from '@conveyor/service-kit/service-base';
import type { Config } from './config.js';
import notificationsRepository from './plugins/notifications-repository.js';
import preferencesRepository from './plugins/preferences-repository.js';
import notificationRoutes from './routes/notifications/index.js';
import preferencesRoutes from './routes/preferences/index.js';

export type AppDeps = ServiceDeps<Config>;

/** The notifications service (spec 001): the inbox API under /api/notifications. */
export async function buildApp(deps: AppDeps) {
  const app = await createBackendService(deps, {
    title: 'Conveyor notifications',
    description: 'In-app notifications, preferences and email delivery (spec 001).',
    version: '1.0.0',
  });

  // Delivery jobs of created notifications. The producer shares the fail-fast request
  // connection (BullMQ never closes a connection it was given), so closing it here releases
  // only its queue; main.ts closes the connection after the app. The queue opens now, while
  // Redis is known to answer, and an enqueue during a later outage fails within its deadline:
  // the rows stay `pending` for the delivery sweeper.
  const producer = createProducer({
    open: [QueueName.notificationDelivery],
    connection: deps.redis,
    prefix: deps.config.BULL_PREFIX,
    onError: (err) => app.log.warn({ err }, 'notification-delivery queue error'),
  });
  app.addHook('onClose', async () => {
    await producer.close();
  });

  await app.register(notificationsRepository, { db: deps.db.db });
  await app.register(preferencesRepository, { db: deps.db.db });
  await app.register(preferencesRoutes, { prefix: '/api/notifications/preferences' });
  await app.register(notificationRoutes, {
    prefix: '/api/notifications',
    create: {
      db: deps.db.db,
      producer,
      // `notification:new` for the recipients' sockets (served by webhooks-svc's /api/realtime).
      events: { redis: deps.redis, prefix: deps.config.BULL_PREFIX },
    },
  });
  return app;
}
