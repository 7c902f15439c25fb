import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { toJobListItem } from '../../jobs/job-view.js';
import type { JobSearch } from '../../jobs/search.js';
import { errorResponses, SearchQuerySchema, SearchResponseSchema, tags } from './schemas.js';

export interface SearchRouteOptions {
  search: JobSearch;
}

/** Spec 003's job list, over the registry: every owner's jobs, also those Redis dropped. */
const searchRoute: FastifyPluginAsyncZod<SearchRouteOptions> = async (app, options) => {
  app.get(
    '/',
    {
      schema: {
        tags,
        summary: 'Search jobs',
        description:
          'Every job the registry holds, newest first, filtered by queue, name, state, owner, ' +
          'creation time and full text (`q`: words of the name, payload summary or error text). ' +
          'The total is exact up to 10 000 matches; past that, `totalExact` is false.',
        querystring: SearchQuerySchema,
        response: {
          200: SearchResponseSchema.describe('A page of jobs'),
          ...errorResponses(400, 403),
        },
      },
    },
    async (request) => {
      const { page, limit, from, to, ...filters } = request.query;
      const { rows, total, exact } = await options.search(
        {
          ...filters,
          from: from === undefined ? undefined : new Date(from),
          to: to === undefined ? undefined : new Date(to),
        },
        { page, limit },
      );
      return {
        success: true as const,
        data: rows.map(toJobListItem),
        pagination: {
          page,
          pageSize: limit,
          total,
          totalExact: exact,
          totalPages: Math.ceil(total / limit),
        },
      };
    },
  );
};

export default searchRoute;
