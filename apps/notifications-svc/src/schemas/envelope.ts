import { z } from 'zod';

/** `{ success: true, data }`, the success envelope of spec 001. */
export const successOf = <Data extends z.ZodType>(data: Data) =>
  z.object({ success: z.literal(true), data });

/** The one error envelope (DESIGN.md "Contract"). */
const ErrorSchema = z.object({
  success: z.literal(false),
  error: z.string(),
  details: z.unknown().optional(),
});

const errorDescriptions = {
  400: '`Invalid query parameters` or `Invalid request body`; `details` lists each issue',
  401: '`Unauthorized`: no valid token',
  403: '`Forbidden: Admin access required`',
  404: '`<Thing> not found`; a malformed or another user’s id answers exactly like a missing one',
  500: '`Internal server error`',
} as const;

type ErrorStatus = keyof typeof errorDescriptions;

/**
 * Response schemas of the error statuses a route can answer, so the OpenAPI document lists
 * them. Every route answers 401 and 500 as well.
 */
export function errorResponses<Status extends ErrorStatus>(...statuses: Status[]) {
  const all = [...new Set<ErrorStatus>([...statuses, 401, 500])];
  return Object.fromEntries(
    all.map((status) => [status, ErrorSchema.describe(errorDescriptions[status])]),
  ) as Record<Status | 401 | 500, typeof ErrorSchema>;
}
