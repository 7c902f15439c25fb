import { errorResponsesOf } from '@conveyor/service-kit/envelope';

/**
 * The error statuses of the queue, stats and audit routes, with their texts, for the OpenAPI
 * document. 403 is listed on every route: the whole /api/admin/jobs scope is ADMIN only.
 */
export const errorResponses = errorResponsesOf({
  400: '`Invalid query parameters` or `Invalid request body` (`details` lists each issue), or `Cannot retry job` when the job is not failed',
  401: '`Unauthorized`: no valid token',
  403: '`Forbidden: Admin access required`',
  404: '`Queue not found`, `Job not found` or `Scheduler not found`',
  500: '`Internal server error`',
  503: '`Service temporarily unavailable`: Redis or PostgreSQL is down; retry',
});
