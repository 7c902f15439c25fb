import { ErrorSchema } from '@conveyor/service-kit/envelope';
import { errorText, HttpError } from '@conveyor/service-kit/errors';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { JobSubmitter } from '../../jobs/submit.js';
import { errorResponses } from '../../schemas/envelope.js';
import { SubmitBodySchema, SubmitHeadersSchema, SubmitResponseSchema, tags } from './schemas.js';

export interface SubmitRouteOptions {
  submit: JobSubmitter;
}

/** Spec 004 `/submit-job` as `POST /api/jobs`. */
const submitRoute: FastifyPluginAsyncZod<SubmitRouteOptions> = async (app, options) => {
  app.post(
    '/',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Submit a job',
        description:
          'Only jobs the catalog marks user-submittable; `data` is checked against the ' +
          'job’s payload schema and the job runs for the caller. With an `Idempotency-Key`, ' +
          'the job id is derived from the caller and the key, so a repeated request answers ' +
          '200 with the first job’s id and queues nothing. A job naming a resource the caller ' +
          'does not own (`asset.preview`: an asset) answers 404 and queues nothing.',
        headers: SubmitHeadersSchema,
        body: SubmitBodySchema,
        response: {
          200: SubmitResponseSchema.describe('A repeat of an earlier request: its job'),
          201: SubmitResponseSchema.describe('Queued'),
          ...errorResponses(400),
          404: ErrorSchema.describe(
            '`Asset not found`: the job names an asset that is missing or another user’s',
          ),
        },
      },
    },
    async (request, reply) => {
      const outcome = await options.submit({
        ownerId: request.user.sub,
        requestId: request.id,
        name: request.body.name,
        data: request.body.data,
        idempotencyKey: request.headers['idempotency-key'],
      });
      if (!outcome.ok) {
        throw 'notFound' in outcome
          ? new HttpError(404, outcome.notFound)
          : new HttpError(400, errorText.invalidBody, outcome.issues);
      }
      return reply
        .code(outcome.created ? 201 : 200)
        .send({ success: true as const, data: { jobId: outcome.jobId } });
    },
  );
};

export default submitRoute;
