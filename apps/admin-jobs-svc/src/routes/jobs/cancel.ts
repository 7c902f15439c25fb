import type { JobCanceller } from '@conveyor/job-events/cancel';
import type { Database } from '@conveyor/db/client';
import { HttpError, notFound } from '@conveyor/service-kit/errors';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { audited } from '../../audit/audit-log.js';
import type { JobDetailReader } from '../../jobs/detail.js';
import { knownQueue } from './queue-param.js';
import { CancelResponseSchema, errorResponses, JobParamsSchema, tags } from './schemas.js';

export interface CancelRouteOptions {
  db: Database;
  cancel: JobCanceller;
  readDetail: JobDetailReader;
}

/** Spec 003's "revoke" with `terminate`, for any job: audited with the admin's id. */
const cancelRoute: FastifyPluginAsyncZod<CancelRouteOptions> = async (app, options) => {
  app.post(
    '/:queueName/:jobId/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a job',
        description:
          'A waiting or delayed job is removed from its queue and shows `failed` with ' +
          '`failedReason` `Cancelled` at once. A running job is aborted by its worker, ' +
          'wherever that runs: it ends `failed` (`Cancelled`, not retried) as soon as its ' +
          'processor stops. A job that already completed or failed answers 409 `Job already ' +
          'finished`. Every attempt, refusals included, is written to the audit log.',
        params: JobParamsSchema,
        response: {
          200: CancelResponseSchema.describe('Cancelled, or its worker asked to stop it'),
          ...errorResponses(403, 404, 409),
        },
      },
    },
    async (request) => {
      const { queueName, jobId } = request.params;
      const target = { queue: queueName, jobId };
      // Refusals (an unknown queue or job, a finished job) are recorded too, with their text:
      // the trail shows attempts as well as changes.
      const outcome = await audited(
        options.db,
        { adminId: request.user.sub, action: 'cancel', target },
        async () => {
          const queue = knownQueue(queueName);
          // The registry's row or Redis' job, whichever knows it: a job just queued may not
          // have reached the registry yet, and one Redis dropped may still be listed there.
          const job = await options.readDetail(queue, jobId);
          if (!job) throw notFound('Job');
          const done = await options.cancel({ queue, jobId, state: job.state });
          if (done === 'finished') throw new HttpError(409, 'Job already finished');
          return done;
        },
      );
      return { success: true as const, data: { queue: queueName, jobId, outcome } };
    },
  );
};

export default cancelRoute;
