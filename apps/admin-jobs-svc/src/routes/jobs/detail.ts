import { notFound } from '@conveyor/service-kit/errors';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { JobDetailReader } from '../../jobs/detail.js';
import { knownQueue } from './queue-param.js';
import { errorResponses, JobDetailResponseSchema, JobParamsSchema, tags } from './schemas.js';

export interface DetailRouteOptions {
  readDetail: JobDetailReader;
}

/** Spec 003's job detail: the registry's row with what Redis still holds of the job. */
const detailRoute: FastifyPluginAsyncZod<DetailRouteOptions> = async (app, options) => {
  app.get(
    '/:queueName/:jobId',
    {
      schema: {
        tags,
        summary: 'Get a job',
        description:
          'Any owner’s job: state, progress, attempts, timestamps, the result or the error with ' +
          'its stack from the registry, and while Redis still holds the job its payload and log ' +
          'lines too (`live`).',
        params: JobParamsSchema,
        response: {
          200: JobDetailResponseSchema.describe('The job'),
          ...errorResponses(403, 404),
        },
      },
    },
    async (request) => {
      const queue = knownQueue(request.params.queueName);
      const detail = await options.readDetail(queue, request.params.jobId);
      if (!detail) throw notFound('Job');
      return { success: true as const, data: detail };
    },
  );
};

export default detailRoute;
