import type { JobCanceller } from '@conveyor/job-events/cancel';
import { HttpError, notFound } from '@conveyor/service-kit/errors';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorResponses } from '../../schemas/envelope.js';
import { CancelResponseSchema, JobIdParamsSchema, tags } from './schemas.js';

export interface CancelRouteOptions {
  cancel: JobCanceller;
}

/** Cancelling one's own job (spec 003 "revoke", for a user's jobs). */
const cancelRoute: FastifyPluginAsyncZod<CancelRouteOptions> = async (app, options) => {
  app.post(
    '/:jobId/cancel',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Cancel one of my jobs',
        description:
          'A waiting or delayed job is removed from its queue and shows `failed` with ' +
          '`failedReason` `Cancelled` at once. A running job’s worker is asked to abort it; ' +
          'it ends `failed` (`Cancelled`, not retried) as soon as its processor stops, or ' +
          'completes if it cannot stop. A job that already completed or failed answers 409 ' +
          '`Job already finished`.',
        params: JobIdParamsSchema,
        response: {
          200: CancelResponseSchema.describe('Cancelled, or asked to stop'),
          ...errorResponses(404, 409),
        },
      },
    },
    async (request) => {
      const row = await app.jobsRepository.find(request.user.sub, request.params.jobId);
      if (!row) throw notFound('Job');
      if ((await options.cancel(row)) === 'finished') {
        throw new HttpError(409, 'Job already finished');
      }
      return { success: true as const, data: { jobId: row.jobId, status: 'cancelled' as const } };
    },
  );
};

export default cancelRoute;
