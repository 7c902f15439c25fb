import { z } from 'zod';

/** `{ success: true, data }`: the success envelope of every service (DESIGN.md "Contract"). */
export const successOf = <Data extends z.ZodType>(data: Data) =>
  z.object({ success: z.literal(true), data });

/** The one error envelope (DESIGN.md "Contract"). */
export const ErrorSchema = z.object({
  success: z.literal(false),
  error: z.string(),
  details: z.unknown().optional(),
});

/** Statuses any route can answer: no valid token, a bug, a store that is down. */
type Always = 401 | 500 | 503;

/**
 * A service's `errorResponses(...statuses)`: the response schemas of the error statuses a route
 * can answer, each described with the service's own error texts, so the OpenAPI document lists
 * them. 401, 500 and 503 are added to every route.
 */
export function errorResponsesOf<const Descriptions extends Record<Always, string>>(
  descriptions: Descriptions & Record<number, string>,
) {
  return function errorResponses<Status extends Exclude<keyof Descriptions & number, Always>>(
    ...statuses: Status[]
  ) {
    const all = [...new Set<number>([...statuses, 401, 500, 503])];
    return Object.fromEntries(
      all.map((status) => [status, ErrorSchema.describe(descriptions[status]!)]),
    ) as Record<Status | Always, typeof ErrorSchema>;
  };
}
