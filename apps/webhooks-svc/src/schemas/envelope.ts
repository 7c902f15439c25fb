import { z } from 'zod';

/** `{ success: true, data }`: the body of spec 004 wrapped in the service's success envelope. */
export const successOf = <Data extends z.ZodType>(data: Data) =>
  z.object({ success: z.literal(true), data });

/** The one error envelope (DESIGN.md "Contract"). */
const ErrorSchema = z.object({
  success: z.literal(false),
  error: z.string(),
  details: z.unknown().optional(),
});

const errorDescriptions = {
  400: '`Invalid query parameters`, `Invalid request body` or `Invalid request headers`; `details` lists each issue',
  401: '`Unauthorized`: no valid token',
  404: '`Job not found`; a malformed or another user’s id answers exactly like a missing one',
  409: '`Job already finished`',
  500: '`Internal server error`',
  503: '`Service temporarily unavailable`: Redis or PostgreSQL is down; retry',
} as const;

type ErrorStatus = keyof typeof errorDescriptions;

/**
 * Response schemas of the error statuses a route can answer, so the OpenAPI document lists
 * them. Every route answers 401, 500 and 503 as well.
 */
export function errorResponses<Status extends ErrorStatus>(...statuses: Status[]) {
  const all = [...new Set<ErrorStatus>([...statuses, 401, 500, 503])];
  return Object.fromEntries(
    all.map((status) => [status, ErrorSchema.describe(errorDescriptions[status])]),
  ) as Record<Status | 401 | 500 | 503, typeof ErrorSchema>;
}
