import { hostname } from 'node:os';
import type { Database } from '@conveyor/db/client';
import { createJobEventHub, type JobEventHub } from '@conveyor/job-events/hub';
import { createRegistryConsumer } from '@conveyor/job-events/registry';
import type { QueueName } from '@conveyor/queue-contracts';
import type { Logger } from '@conveyor/runtime/logger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** This instance's job event hub: long polls and the realtime sockets listen on it. */
    jobEvents: JobEventHub;
  }
}

export interface JobEventsPluginOptions {
  config: Pick<Config, 'REDIS_URL' | 'BULL_PREFIX' | 'JOB_REGISTRY_CONSUMER'>;
  db: Database;
  logger: Logger;
  /** The queues whose events matter here. */
  queues: readonly QueueName[];
}

/**
 * The job events of this instance: one hub (its own Redis connections, since it blocks on
 * XREAD), decorated as `app.jobEvents`, and unless JOB_REGISTRY_CONSUMER is off, the consumer
 * that writes `job_runs` from the same streams. The consumer starts once the app is ready, so a
 * build that fails half-way leaves nothing running, and both stop when the app closes.
 */
async function jobEvents(app: FastifyInstance, options: JobEventsPluginOptions) {
  const { config, logger, queues } = options;
  const hub = await createJobEventHub({
    redisUrl: config.REDIS_URL,
    prefix: config.BULL_PREFIX,
    queues,
    logger: logger.child({ component: 'job-event-hub' }),
  });
  app.decorate('jobEvents', hub);
  app.addHook('onClose', async () => {
    await hub.close();
  });

  if (!config.JOB_REGISTRY_CONSUMER) return;
  const consumer = createRegistryConsumer({
    redisUrl: config.REDIS_URL,
    db: options.db,
    prefix: config.BULL_PREFIX,
    queues,
    // Unique per process, so two instances on one host never pass for one: a restarted
    // process is a new consumer, and the next leader claims what the old one left unacknowledged.
    consumer: `${hostname()}:${process.pid}`,
    logger: logger.child({ component: 'job-registry' }),
  });
  app.addHook('onReady', async () => {
    await consumer.start();
  });
  app.addHook('onClose', async () => {
    await consumer.stop();
  });
}

export default fp(jobEvents, { name: 'job-events', fastify: '5.x' });
