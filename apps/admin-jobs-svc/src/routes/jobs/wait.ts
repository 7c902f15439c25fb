import { notFound } from '@conveyor/service-kit/errors';
import { holdConnection, longPollQuerySchema } from '@conveyor/service-kit/long-poll';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AdminJobWaiter } from '../../jobs/wait.js';
import { knownQueue } from './queue-param.js';
import { errorResponses, JobDetailResponseSchema, JobParamsSchema, tags } from './schemas.js';

/** Spec 003 "Long Polling": the server holds the connection 60 s at most. */
export const WAIT_MAX_SECONDS = 60;

export interface WaitRouteOptions {
  wait: AdminJobWaiter;
}

/** Spec 003 "Long Polling" on any job, for admins. */
const waitRoute: FastifyPluginAsyncZod<WaitRouteOptions> = async (app, options) => {
  app.get(
    '/:queueName/:jobId/wait',
    {
      schema: {
        tags,
        summary: 'Wait for a job to finish',
        description:
          'Any owner’s job. Answers as soon as the job completes or finally fails (at once if ' +
          'it already has), or with its current state once `timeout` seconds have passed; the ' +
          'body is that of the job detail either way, so a client polls again while `state` is ' +
          'not `completed` or `failed`.',
        params: JobParamsSchema,
        querystring: longPollQuerySchema(WAIT_MAX_SECONDS),
        response: {
          200: JobDetailResponseSchema.describe('The job, finished or as it stands'),
          ...errorResponses(400, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const queue = knownQueue(request.params.queueName);
      const timeoutMs = Math.round(request.query.timeout * 1_000);
      const held = holdConnection(request, reply, timeoutMs);
      try {
        const detail = await options.wait(queue, request.params.jobId, {
          timeoutMs,
          signal: held.signal,
        });
        if (!detail) throw notFound('Job');
        return { success: true as const, data: detail };
      } finally {
        held.release();
      }
    },
  );
};

export default waitRoute;
