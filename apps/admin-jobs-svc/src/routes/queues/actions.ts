import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { audited } from '../../audit/audit-log.js';
import { queueNamed } from '../../queues/queue-lookup.js';
import { errorResponses } from './errors.js';
import type { AdminRouteDeps } from './route-deps.js';
import {
  actionTags,
  CleanBodySchema,
  CleanResponseSchema,
  PauseResponseSchema,
  QueueParamsSchema,
} from './schemas.js';

/** Pause, resume and clean a queue; each is recorded in the audit trail with its outcome. */
const actionRoutes: FastifyPluginAsyncZod<AdminRouteDeps> = async (app, deps) => {
  // Pause and resume share everything but the verb. Both are idempotent: BullMQ only sets or
  // clears the queue's paused flag, so pausing a paused queue changes nothing and answers 200.
  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/queues/:queueName/${action}`,
      {
        schema: {
          tags: actionTags,
          summary: action === 'pause' ? 'Pause a queue' : 'Resume a queue',
          description:
            action === 'pause'
              ? 'Workers everywhere take no new job from the queue; jobs already running ' +
                'finish. Jobs can still be added and wait. Idempotent; audited.'
              : 'Workers take jobs from the queue again. Idempotent; audited.',
          params: QueueParamsSchema,
          response: {
            200: PauseResponseSchema.describe('The queue’s state now'),
            ...errorResponses(403, 404),
          },
        },
      },
      async (request) => {
        const { queueName } = request.params;
        const paused = await audited(
          deps.db,
          { adminId: request.user.sub, action, target: { queue: queueName } },
          async () => {
            const { queue } = queueNamed(deps.queues, queueName);
            await (action === 'pause' ? queue.pause() : queue.resume());
            return queue.isPaused();
          },
        );
        return { success: true as const, data: { queue: queueName, paused } };
      },
    );
  }

  app.post(
    '/queues/:queueName/clean',
    {
      schema: {
        tags: actionTags,
        summary: 'Remove old finished jobs from a queue',
        description:
          'Removes completed or failed jobs that finished at least `olderThanSeconds` ago from ' +
          'Redis, at most `limit` of them; the job registry keeps their history. Audited.',
        params: QueueParamsSchema,
        body: CleanBodySchema,
        response: {
          200: CleanResponseSchema.describe('How many jobs were removed'),
          ...errorResponses(400, 403, 404),
        },
      },
    },
    async (request) => {
      const { queueName } = request.params;
      const { state, olderThanSeconds, limit } = request.body;
      const removed = await audited(
        deps.db,
        {
          adminId: request.user.sub,
          action: 'clean',
          target: { queue: queueName },
          parameters: { state, olderThanSeconds, limit },
        },
        async () => {
          const { queue } = queueNamed(deps.queues, queueName);
          const ids = await queue.clean(olderThanSeconds * 1_000, limit, state);
          return ids.length;
        },
      );
      return { success: true as const, data: { queue: queueName, state, removed } };
    },
  );
};

export default actionRoutes;
