import { z } from 'zod';
import { IdempotencyKeySchema } from '../../jobs/idempotency.js';
import { successOf } from '../../schemas/envelope.js';
import { pageQueryShape } from '../../schemas/pagination.js';

/** The OpenAPI tag of every /api/jobs route. */
export const tags = ['jobs'];

const JobStateSchema = z.enum(['waiting', 'delayed', 'active', 'completed', 'failed']);

/**
 * A path id is any string on purpose: a malformed id must answer 404 like a missing or foreign
 * one, never a 400 that tells them apart.
 */
export const JobIdParamsSchema = z.object({
  jobId: z.string().describe('The job id (a UUID for jobs run for a user)'),
});

/** Unknown parameters are ignored rather than refused, so a cache-buster breaks nothing. */
export const ListQuerySchema = z.object({
  // Spec 004 "List Jobs": 10 per page by default; the maximum is ours.
  ...pageQueryShape('Jobs', { defaultLimit: 10, max: 100 }),
  status: JobStateSchema.optional().describe('Only jobs in this state'),
});

const epochMs = z.number().int().describe('Unix epoch milliseconds');

const TimestampSchema = z.object({
  created: epochMs.describe('When it was queued'),
  started: epochMs.nullable().describe('When its last attempt started; null before that'),
  finished: epochMs.nullable().describe('When it completed or finally failed'),
});

const ProgressSchema = z
  .union([z.number(), z.record(z.string(), z.unknown())])
  .describe('0 to 100, or the structured progress the job reports');

/** Spec 004 "Get Job Status". */
export const JobStatusSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: JobStateSchema.describe('A cancelled job is `failed` with `failedReason` `Cancelled`'),
  progress: ProgressSchema,
  result: z.unknown().describe('What it returned, once completed; null before'),
  failedReason: z.string().nullable().describe('Why it failed, once failed; null otherwise'),
  timestamp: TimestampSchema,
});

export const JobStatusResponseSchema = successOf(JobStatusSchema);

/** Spec 004 "List Jobs": an item is the status without result and reason. */
export const ListResponseSchema = successOf(
  z.object({
    jobs: z.array(JobStatusSchema.omit({ result: true, failedReason: true })),
    pagination: z.object({
      total: z.number().int().describe('Jobs matching the filter'),
      page: z.number().int(),
      limit: z.number().int(),
      pages: z.number().int(),
    }),
  }),
);

export const SubmitBodySchema = z.object({
  name: z.string().min(1).describe('A job of the catalog that users may submit'),
  data: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('The payload, checked against that job’s schema'),
});

/** Other headers pass through untouched: the schema only checks the one it names. */
export const SubmitHeadersSchema = z.looseObject({
  'idempotency-key': IdempotencyKeySchema.optional().describe(
    'Repeating a request with the same key answers the same job (200) instead of a new one',
  ),
});

export const SubmitResponseSchema = successOf(z.object({ jobId: z.string() }));

export const CancelResponseSchema = successOf(
  z.object({ jobId: z.string(), status: z.literal('cancelled') }),
);
