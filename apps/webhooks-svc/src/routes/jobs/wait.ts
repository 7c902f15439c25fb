import { notFound } from '@conveyor/service-kit/errors';
import { holdConnection, longPollQuerySchema } from '@conveyor/service-kit/long-poll';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { JobWaiter } from '../../jobs/wait.js';
import { errorResponses } from '../../schemas/envelope.js';
import { JobIdParamsSchema, JobStatusResponseSchema, tags } from './schemas.js';

export interface WaitRouteOptions {
  wait: JobWaiter;
  /** JOB_WAIT_MAX_SECONDS. */
  waitMaxSeconds: number;
}

/** Spec 003 "Long Polling" for the caller's own jobs. */
const waitRoute: FastifyPluginAsyncZod<WaitRouteOptions> = async (app, options) => {
  app.get(
    '/:jobId/wait',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Wait for one of my jobs to finish',
        description:
          'Answers as soon as the job completes or finally fails (at once if it already ' +
          'has), or with its current state once `timeout` seconds have passed; the body is ' +
          'that of `GET /api/jobs/{jobId}` either way, so a client polls again while `state` ' +
          'is not `completed` or `failed`.',
        params: JobIdParamsSchema,
        querystring: longPollQuerySchema(options.waitMaxSeconds),
        response: {
          200: JobStatusResponseSchema.describe('The job, finished or as it stands'),
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const timeoutMs = Math.round(request.query.timeout * 1_000);
      const held = holdConnection(request, reply, timeoutMs);
      try {
        const status = await options.wait(request.user.sub, request.params.jobId, {
          timeoutMs,
          signal: held.signal,
        });
        if (!status) throw notFound('Job');
        return { success: true as const, data: status };
      } finally {
        held.release();
      }
    },
  );
};

export default waitRoute;
