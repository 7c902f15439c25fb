import { z } from 'zod';

/**
 * `page` and `limit` of a paginated list, as every list of this service takes them: `page` from
 * 1, `limit` up to `max`. Spread into the list's query schema beside its own filters.
 */
export function pageQueryShape(items: string, options: { defaultLimit: number; max: number }) {
  return {
    page: z.coerce.number().int().min(1).default(1).describe('Page number, from 1'),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(options.max)
      .default(options.defaultLimit)
      .describe(`${items} per page, at most ${options.max}`),
  };
}
