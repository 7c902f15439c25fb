import { errorResponsesOf } from '@conveyor/service-kit/envelope';

export { successOf } from '@conveyor/service-kit/envelope';

/** The error statuses of the notifications API, with their texts, for the OpenAPI document. */
export const errorResponses = errorResponsesOf({
  400: '`Invalid query parameters` or `Invalid request body`; `details` lists each issue',
  401: '`Unauthorized`: no valid token',
  403: '`Forbidden: Admin access required`',
  404: '`<Thing> not found`; a malformed or another user’s id answers exactly like a missing one',
  500: '`Internal server error`',
  503: '`Service temporarily unavailable`: Redis or PostgreSQL is down; retry',
});
