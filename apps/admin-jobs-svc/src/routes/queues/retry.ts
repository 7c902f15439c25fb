import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { audited } from '../../audit/audit-log.js';
import { queueNamed } from '../../queues/queue-lookup.js';
import { retryFailedJob } from '../../queues/retry.js';
import { errorResponses } from './errors.js';
import type { AdminRouteDeps } from './route-deps.js';
import { actionTags, JobParamsSchema, RetryResponseSchema } from './schemas.js';

/** Spec 002 "Retry Failed Job". */
const retryRoute: FastifyPluginAsyncZod<AdminRouteDeps> = async (app, deps) => {
  app.post(
    '/:queueName/:jobId/retry',
    {
      schema: {
        tags: actionTags,
        summary: 'Retry a failed job',
        description:
          'Moves a failed job back to waiting, so a worker runs it again as one more attempt. ' +
          '404 `Queue not found` or `Job not found`; 400 `Cannot retry job` when the job is ' +
          'not failed. Audited, refusals included.',
        params: JobParamsSchema,
        response: {
          200: RetryResponseSchema.describe('The job waits to run again'),
          ...errorResponses(400, 403, 404),
        },
      },
    },
    async (request) => {
      const { queueName, jobId } = request.params;
      await audited(
        deps.db,
        { adminId: request.user.sub, action: 'retry', target: { queue: queueName, jobId } },
        () => retryFailedJob(queueNamed(deps.queues, queueName).queue, jobId),
      );
      return { success: true as const, data: { jobId, status: 'retried' as const } };
    },
  );
};

export default retryRoute;
