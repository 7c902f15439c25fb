import { errorResponsesOf, successOf } from '@conveyor/service-kit/envelope';
import { z } from 'zod';
import { BatchViewSchema } from '../../batches/batch-view.js';
import { SearchQuerySchema } from '../jobs/schemas.js';

/** The OpenAPI tag of the bulk action and batch routes. */
export const bulkTags = ['bulk actions'];

/** The error statuses of the bulk action and batch routes, with their texts. */
export const errorResponses = errorResponsesOf({
  400: '`Invalid request body` or `Invalid query parameters` (`details` lists each issue: an empty filter, an unknown field), or `Too many jobs: …` when the filter matches more jobs than one bulk action may act on',
  401: '`Unauthorized`: no valid token',
  403: '`Forbidden: Admin access required`',
  404: '`Queue not found` for a queue the platform does not have, or `Batch not found`',
  500: '`Internal server error`',
  503: '`Service temporarily unavailable`: Redis or PostgreSQL is down; retry',
});

const filterFields = ['queue', 'name', 'ownerId', 'from', 'to', 'q'] as const;

/** The job search's filter fields, their validation and descriptions included (no `state`). */
const filterShape = SearchQuerySchema.pick({
  queue: true,
  name: true,
  ownerId: true,
  from: true,
  to: true,
  q: true,
}).shape;

const EMPTY_FILTER =
  'Give at least one filter field (queue, name, ownerId, from, to or q): an empty filter would ' +
  'act on every job of every queue';

const hasFilter = (body: Partial<Record<(typeof filterFields)[number], unknown>>) =>
  filterFields.some((field) => body[field] !== undefined);

/**
 * Unknown fields are refused, unlike the search's query: a misspelt field (`queueName`) would
 * otherwise silently widen the filter of an action on thousands of jobs.
 */
export const BulkRetryBodySchema = z
  .strictObject(filterShape)
  .refine(hasFilter, { message: EMPTY_FILTER });

export const BulkCancelBodySchema = z
  .strictObject({
    ...filterShape,
    terminate: z
      .boolean()
      .default(false)
      .describe(
        'Abort running jobs too, through their worker wherever it runs (as the single cancel ' +
          'with terminate); without it only waiting and delayed jobs are removed',
      ),
  })
  .refine(hasFilter, { message: EMPTY_FILTER });

export const BatchResponseSchema = successOf(BatchViewSchema);
