import type { Database } from '@conveyor/db/client';
import { createJobCanceller } from '@conveyor/job-events/cancel';
import type { JobEventHub } from '@conveyor/job-events/hub';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { createJobDetailReader } from '../../jobs/detail.js';
import { createJobSearch } from '../../jobs/search.js';
import { createAdminJobWaiter } from '../../jobs/wait.js';
import cancelRoute from './cancel.js';
import detailRoute from './detail.js';
import searchRoute from './search.js';
import waitRoute from './wait.js';

export interface JobRoutesOptions {
  /** The app's: its database, its fail-fast Redis connection (cancel requests go out on it). */
  deps: {
    db: { db: Database };
    redis: Redis;
    config: { BULL_PREFIX: string };
  };
  queues: Producer;
  /** Every queue's events: long polls answer as the job ends rather than polling BullMQ. */
  hub: JobEventHub;
}

/**
 * Spec 003's jobs under /api/admin/jobs/jobs: search, detail, cancel and long poll of any
 * owner's job. Registered inside the admin scope, whose hooks have already required an ADMIN
 * token.
 */
const jobRoutes: FastifyPluginAsyncZod<JobRoutesOptions> = async (app, options) => {
  const { deps, queues, hub } = options;
  const { db } = deps.db;
  const readDetail = createJobDetailReader({ db, producer: queues });
  // The user jobs API's canceller, so both APIs cancel the same way.
  const cancel = createJobCanceller({
    producer: queues,
    redis: deps.redis,
    prefix: deps.config.BULL_PREFIX,
    db,
  });
  await app.register(searchRoute, { search: createJobSearch(db) });
  await app.register(detailRoute, { readDetail });
  await app.register(cancelRoute, { db, cancel, readDetail });
  await app.register(waitRoute, {
    wait: createAdminJobWaiter({ readDetail, hub, producer: queues }),
  });
};

export default jobRoutes;
