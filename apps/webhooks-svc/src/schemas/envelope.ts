import { errorResponsesOf } from '@conveyor/service-kit/envelope';

export { successOf } from '@conveyor/service-kit/envelope';

/** The error statuses of the jobs API, with their texts, for the OpenAPI document. */
export const errorResponses = errorResponsesOf({
  400: '`Invalid query parameters`, `Invalid request body` or `Invalid request headers`; `details` lists each issue',
  401: '`Unauthorized`: no valid token',
  404: '`Job not found`; a malformed or another user’s id answers exactly like a missing one',
  409: '`Job already finished`',
  500: '`Internal server error`',
  503: '`Service temporarily unavailable`: Redis or PostgreSQL is down; retry',
});
