import { jobState } from '@conveyor/db/schema';
import { errorResponsesOf, successOf } from '@conveyor/service-kit/envelope';
import { z } from 'zod';

/** The OpenAPI tag of every /api/admin/jobs/jobs route. */
export const tags = ['admin jobs'];

/** The error statuses of the admin jobs routes, with their texts, for the OpenAPI document. */
export const errorResponses = errorResponsesOf({
  400: '`Invalid query parameters`; `details` lists each issue',
  401: '`Unauthorized`: no valid token',
  403: '`Forbidden: Admin access required`',
  404: '`Queue not found` for a queue the platform does not have, or `Job not found`',
  409: '`Job already finished`',
  500: '`Internal server error`',
  503: '`Service temporarily unavailable`: Redis or PostgreSQL is down; retry',
});

const JobStateSchema = z.enum(jobState.enumValues);

const isoTime = z.iso.datetime({ offset: true });

/** Unknown parameters are ignored rather than refused, so a cache-buster breaks nothing. */
export const SearchQuerySchema = z.object({
  queue: z.string().min(1).optional().describe('Only jobs of this queue'),
  name: z.string().min(1).optional().describe('Only jobs of this name'),
  state: JobStateSchema.optional().describe('Only jobs in this state'),
  ownerId: z.string().min(1).optional().describe('Only jobs run for this user'),
  from: isoTime.optional().describe('Only jobs created at or after this instant (ISO 8601)'),
  to: isoTime.optional().describe('Only jobs created at or before this instant (ISO 8601)'),
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Words to find in the job’s name, payload summary or error text, matched as written ' +
        '(no stemming); web search syntax: `"a phrase"`, `or`, `-word`',
    ),
  page: z.coerce.number().int().min(1).max(1_000).default(1).describe('Page number, from 1'),
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Jobs per page, at most 100'),
});

const iso = z.iso.datetime().describe('ISO 8601');

const ProgressSchema = z
  .union([z.number(), z.record(z.string(), z.unknown())])
  .describe('0 to 100, or the structured progress the job reports');

export const JobListItemSchema = z.object({
  queue: z.string(),
  jobId: z.string(),
  name: z.string(),
  ownerId: z.string().nullable().describe('The user the job runs for; null for system jobs'),
  state: JobStateSchema.describe('A cancelled job is `failed` with `failedReason` `Cancelled`'),
  progress: ProgressSchema,
  attemptsMade: z.number().int(),
  maxAttempts: z.number().int(),
  failedReason: z.string().nullable().describe('The error text, cut to 200 characters'),
  createdAt: iso,
  startedAt: iso.nullable(),
  finishedAt: iso.nullable(),
});

export const SearchResponseSchema = successOf(z.array(JobListItemSchema)).extend({
  pagination: z.object({
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z
      .number()
      .int()
      .describe('Jobs matching the filters; when `totalExact` is false, at least this many'),
    totalExact: z.boolean().describe('False when there are more matches than were counted'),
    totalPages: z.number().int(),
  }),
});

/**
 * A path id is any string on purpose: a malformed id answers 404 like a missing one. The queue
 * is checked against the platform's queues by the route, so that an unknown one is a 404 too.
 */
export const JobParamsSchema = z.object({
  queueName: z.string().describe('The queue'),
  jobId: z.string().describe('The job id'),
});

export const JobDetailResponseSchema = successOf(
  JobListItemSchema.extend({
    failedReason: z.string().nullable().describe('The whole error text, once failed'),
    live: z.boolean().describe('Whether Redis still holds the job; `data` and `logs` need it'),
    progress: z.unknown().describe('0 to 100, or the structured progress the job reports'),
    payloadSummary: z.record(z.string(), z.unknown()).nullable(),
    data: z.unknown().describe('The payload, while Redis holds the job; null after'),
    result: z.unknown().describe('What it returned, once completed; null otherwise'),
    stacktrace: z.array(z.string()).describe('The stack of each failed attempt, once failed'),
    logs: z.object({
      lines: z.array(z.string()).describe('The newest 1 000 log lines, oldest first'),
      count: z.number().int().describe('How many lines the job logged'),
    }),
  }),
);

export const CancelResponseSchema = successOf(
  z.object({
    queue: z.string(),
    jobId: z.string(),
    outcome: z
      .enum(['removed', 'signalled'])
      .describe(
        '`removed`: it had not started and is gone from its queue, `failed` with `Cancelled`; ' +
          '`signalled`: it runs, and its worker was asked to abort it',
      ),
  }),
);
