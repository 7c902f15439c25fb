import type { Database } from '@conveyor/db/client';
import { notFound } from '@conveyor/service-kit/errors';
import { successOf } from '@conveyor/service-kit/envelope';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { batchKinds, BatchViewSchema } from '../../batches/batch-view.js';
import { findBatch, listBatches } from '../../batches/read-batches.js';
import { bulkTags, errorResponses } from '../bulk/schemas.js';

export interface BatchRoutesOptions {
  db: Database;
}

const MAX_LIMIT = 100;

/** Unknown parameters are ignored rather than refused, so a cache-buster breaks nothing. */
const BatchListQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(1_000).default(1).describe('Page number, from 1'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(20)
    .describe(`Batches per page (default 20, at most ${MAX_LIMIT})`),
  kind: z.enum(batchKinds).optional().describe('Only batches of this kind'),
});

const BatchListResponseSchema = successOf(z.array(BatchViewSchema).describe('Newest first')).extend(
  {
    pagination: z.object({
      page: z.number().int(),
      pageSize: z.number().int(),
      total: z.number().int().describe('Batches of the kind asked for'),
      totalPages: z.number().int(),
    }),
  },
);

/**
 * A batch id from the path is any string on purpose: a malformed id answers 404 like a missing
 * one, as the other admin routes do.
 */
const BatchParamsSchema = z.object({
  batchId: z.string().describe('The batch id (a bulk action’s or a digest run’s)'),
});

/** Tracked batches: bulk actions and digest runs, with their progress (issue 7, part 5). */
const batchRoutes: FastifyPluginAsyncZod<BatchRoutesOptions> = async (app, options) => {
  app.get(
    '/batches',
    {
      schema: {
        tags: bulkTags,
        summary: 'Bulk actions and digest runs',
        description:
          'Every tracked batch, newest first: bulk retries and cancels, and digest runs, with ' +
          'total, completed, percent, an estimate of the time left and the counts by outcome.',
        querystring: BatchListQuerySchema,
        response: {
          200: BatchListResponseSchema.describe('A page of batches'),
          ...errorResponses(400, 403),
        },
      },
    },
    async (request) => {
      const { page, limit, kind } = request.query;
      const { batches, total } = await listBatches(options.db, { page, limit, kind });
      return {
        success: true as const,
        data: batches,
        pagination: { page, pageSize: limit, total, totalPages: Math.ceil(total / limit) },
      };
    },
  );

  app.get(
    '/batches/:batchId',
    {
      schema: {
        tags: bulkTags,
        summary: 'One batch',
        description:
          'A bulk action or a digest run by its id, with its progress. 404 `Batch not found`.',
        params: BatchParamsSchema,
        response: {
          200: successOf(BatchViewSchema).describe('The batch'),
          ...errorResponses(403, 404),
        },
      },
    },
    async (request) => {
      const batch = await findBatch(options.db, request.params.batchId);
      if (!batch) throw notFound('Batch');
      return { success: true as const, data: batch };
    },
  );
};

export default batchRoutes;
