import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminActions } from '../../audit/audit-log.js';
import { listAuditEntries } from '../../audit/audit-trail.js';
import { errorResponses } from '../queues/errors.js';
import type { AdminRouteDeps } from '../queues/route-deps.js';

const MAX_LIMIT = 100;

/**
 * Spec 002's paging (`page`, `pageSize`), as the job search. Unknown parameters are ignored
 * rather than refused, so a cache-buster breaks nothing.
 */
const AuditQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1).describe('Page number, from 1'),
  pageSize: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(50)
    .describe(`Entries per page (default 50, at most ${MAX_LIMIT})`),
  adminId: z.string().min(1).optional().describe('Only actions of this admin (user id)'),
  action: z.enum(adminActions).optional().describe('Only actions of this kind'),
});

const AuditEntrySchema = z.object({
  id: z.number().int(),
  adminId: z.string(),
  action: z.string(),
  target: z.record(z.string(), z.unknown()).describe('What it acted on'),
  parameters: z.record(z.string(), z.unknown()).describe('The request’s parameters'),
  outcome: z.string().describe('`succeeded`, `failed` (see `error`), or `started` for a batch'),
  error: z.string().nullable().describe('Why it failed; null otherwise'),
  createdAt: z.iso.datetime().describe('When it was recorded (ISO 8601)'),
});

const AuditListResponseSchema = z.object({
  success: z.literal(true),
  data: z.array(AuditEntrySchema).describe('Newest first'),
  pagination: z.object({
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int().describe('Entries matching the filters'),
    totalPages: z.number().int(),
  }),
});

/** The audit trail of admin actions (issue 7, part 4). */
const auditRoutes: FastifyPluginAsyncZod<AdminRouteDeps> = async (app, deps) => {
  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'The audit trail of admin actions',
        description:
          'Every retry, cancel, trigger, pause, resume, bulk action and clean, with the admin, ' +
          'the target, the parameters, the time and the outcome; newest first.',
        querystring: AuditQuerySchema,
        response: {
          200: AuditListResponseSchema.describe('A page of the trail'),
          ...errorResponses(400, 403),
        },
      },
    },
    async (request) => {
      const { page, pageSize, adminId, action } = request.query;
      const { rows, total } = await listAuditEntries(
        deps.db,
        { adminId, action },
        { page, limit: pageSize },
      );
      return {
        success: true as const,
        data: rows.map((row) => ({
          id: row.id,
          adminId: row.adminId,
          action: row.action,
          target: row.target,
          parameters: row.parameters,
          outcome: row.outcome,
          error: row.error,
          createdAt: row.createdAt.toISOString(),
        })),
        pagination: { page, pageSize, total, totalPages: Math.ceil(total / pageSize) },
      };
    },
  );
};

export default auditRoutes;
