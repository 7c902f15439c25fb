import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorResponses } from '../../schemas/envelope.js';
import { PreferencesResponseSchema, toApiPreferences, UpdatePreferencesSchema } from './schemas.js';

const tags = ['preferences'];

/** Spec 001 notification preferences under /api/notifications/preferences. */
const preferencesRoutes: FastifyPluginAsyncZod = async (app) => {
  const preferences = app.preferencesRepository;

  app.get(
    '/',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Get my notification preferences',
        description: 'Created with the defaults on first read.',
        response: {
          200: PreferencesResponseSchema.describe('My preferences'),
          ...errorResponses(),
        },
      },
    },
    async (request) => ({
      success: true as const,
      data: toApiPreferences(await preferences.get(request.user.sub)),
    }),
  );

  app.patch(
    '/',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Change my notification preferences',
        description:
          'Partial: only the fields sent change; an empty object changes nothing. ' +
          '`enabledTypes` replaces the set (duplicates are dropped). ' +
          '`inAppEnabled: false` is refused.',
        body: UpdatePreferencesSchema,
        response: {
          200: PreferencesResponseSchema.describe('My preferences, updated'),
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const { inAppEnabled: _alwaysTrue, ...patch } = request.body;
      return {
        success: true as const,
        data: toApiPreferences(await preferences.update(request.user.sub, patch)),
      };
    },
  );
};

export default preferencesRoutes;
