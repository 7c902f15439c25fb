import { queueNames } from '@conveyor/queue-contracts';
import { notFound } from '@conveyor/service-kit/errors';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { queueNamed } from '../../queues/queue-lookup.js';
import { queueStats } from '../../queues/queue-stats.js';
import actionRoutes from './actions.js';
import { errorResponses } from './errors.js';
import retryRoute from './retry.js';
import type { AdminRouteDeps } from './route-deps.js';
import schedulerRoutes from './schedulers.js';
import {
  QueueListResponseSchema,
  QueueParamsSchema,
  QueueResponseSchema,
  queueTags,
} from './schemas.js';

/**
 * Queues under /api/admin/jobs (issue 7, spec 002 and 003): stats, pause and resume, clean,
 * retry of a failed job, and the job schedulers. Registered inside the ADMIN-only scope.
 */
const queueRoutes: FastifyPluginAsyncZod<AdminRouteDeps> = async (app, deps) => {
  app.get(
    '/queues',
    {
      schema: {
        tags: queueTags,
        summary: 'Stats of every queue',
        description:
          'For each queue: jobs by BullMQ state, whether it is paused, the jobs completed and ' +
          'failed in the last hour (from the job registry) with their rates per minute, and ' +
          'how long the oldest waiting job has waited.',
        response: {
          200: QueueListResponseSchema.describe('Every queue, in the platform’s order'),
          ...errorResponses(403),
        },
      },
    },
    async () => ({
      success: true as const,
      data: await queueStats(deps.queues, deps.db, queueNames),
    }),
  );

  app.get(
    '/queues/:queueName',
    {
      schema: {
        tags: queueTags,
        summary: 'Stats of one queue',
        description: 'The same stats as the list, for one queue.',
        params: QueueParamsSchema,
        response: {
          200: QueueResponseSchema.describe('The queue'),
          ...errorResponses(403, 404),
        },
      },
    },
    async (request) => {
      const { name } = queueNamed(deps.queues, request.params.queueName);
      const [stats] = await queueStats(deps.queues, deps.db, [name]);
      if (!stats) throw notFound('Queue');
      return { success: true as const, data: stats };
    },
  );

  await app.register(actionRoutes, deps);
  await app.register(retryRoute, deps);
  await app.register(schedulerRoutes, deps);
};

export default queueRoutes;
