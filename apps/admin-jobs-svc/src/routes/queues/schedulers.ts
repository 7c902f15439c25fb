import { queueNames } from '@conveyor/queue-contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { audited } from '../../audit/audit-log.js';
import { queueNamed } from '../../queues/queue-lookup.js';
import { listSchedulers, triggerScheduler } from '../../queues/schedulers.js';
import { errorResponses } from './errors.js';
import type { AdminRouteDeps } from './route-deps.js';
import {
  actionTags,
  queueTags,
  SchedulerListResponseSchema,
  SchedulerParamsSchema,
  TriggerResponseSchema,
} from './schemas.js';

/** The BullMQ job schedulers of every queue, and running one's job at once. */
const schedulerRoutes: FastifyPluginAsyncZod<AdminRouteDeps> = async (app, deps) => {
  app.get(
    '/schedulers',
    {
      schema: {
        tags: queueTags,
        summary: 'Every job scheduler',
        description: 'The schedulers of every queue with pattern, time zone and next run.',
        response: {
          200: SchedulerListResponseSchema.describe('By queue, each queue’s soonest first'),
          ...errorResponses(403),
        },
      },
    },
    async () => ({ success: true as const, data: await listSchedulers(deps.queues, queueNames) }),
  );

  app.post(
    '/schedulers/:queueName/:schedulerId/trigger',
    {
      schema: {
        tags: actionTags,
        summary: 'Run a scheduler’s job now',
        description:
          'Adds the scheduler’s job (its template name, data and options) under a new id, ' +
          'once; the schedule itself is unchanged. 404 `Queue not found` or ' +
          '`Scheduler not found`. Audited.',
        params: SchedulerParamsSchema,
        response: {
          200: TriggerResponseSchema.describe('The job added'),
          ...errorResponses(403, 404),
        },
      },
    },
    async (request) => {
      const { queueName, schedulerId } = request.params;
      const { jobId } = await audited(
        deps.db,
        {
          adminId: request.user.sub,
          action: 'trigger',
          target: { queue: queueName, scheduler: schedulerId },
        },
        () => triggerScheduler(queueNamed(deps.queues, queueName).queue, schedulerId),
      );
      return { success: true as const, data: { queue: queueName, schedulerId, jobId } };
    },
  );
};

export default schedulerRoutes;
