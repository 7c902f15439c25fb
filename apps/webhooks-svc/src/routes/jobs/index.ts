import { notFound } from '@conveyor/service-kit/errors';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { toJobStatus, toJobSummary } from '../../jobs/job-view.js';
import { errorResponses } from '../../schemas/envelope.js';
import cancelRoute, { type CancelRouteOptions } from './cancel.js';
import {
  JobIdParamsSchema,
  JobStatusResponseSchema,
  ListQuerySchema,
  ListResponseSchema,
  tags,
} from './schemas.js';
import submitRoute, { type SubmitRouteOptions } from './submit.js';
import waitRoute, { type WaitRouteOptions } from './wait.js';

export type JobRoutesOptions = SubmitRouteOptions & CancelRouteOptions & WaitRouteOptions;

/** The caller's own jobs (spec 004) under /api/jobs, read from the job registry. */
const jobRoutes: FastifyPluginAsyncZod<JobRoutesOptions> = async (app, options) => {
  const jobs = app.jobsRepository;

  app.get(
    '/',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'List my jobs',
        description: 'Newest first; `status` keeps the jobs in one state.',
        querystring: ListQuerySchema,
        response: {
          200: ListResponseSchema.describe('A page of my jobs'),
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const { page, limit, status } = request.query;
      const { rows, total } = await jobs.list(request.user.sub, status, { page, limit });
      return {
        success: true as const,
        data: {
          jobs: rows.map(toJobSummary),
          pagination: { total, page, limit, pages: Math.ceil(total / limit) },
        },
      };
    },
  );

  app.get(
    '/:jobId',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Get one of my jobs',
        description: 'Its state, progress, result or failure reason, and timestamps.',
        params: JobIdParamsSchema,
        response: {
          200: JobStatusResponseSchema.describe('The job'),
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const row = await jobs.find(request.user.sub, request.params.jobId);
      if (!row) throw notFound('Job');
      return { success: true as const, data: toJobStatus(row) };
    },
  );

  await app.register(submitRoute, { submit: options.submit });
  await app.register(cancelRoute, { cancel: options.cancel });
  await app.register(waitRoute, { wait: options.wait, waitMaxSeconds: options.waitMaxSeconds });
};

export default jobRoutes;
