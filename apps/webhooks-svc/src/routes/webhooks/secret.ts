import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseId } from '../../webhooks/ids.js';
import { errorResponses, refuse } from './errors.js';
import type { WebhookRoutesOptions } from './options.js';
import { RotateResponseSchema, tags, WebhookParamsSchema } from './schemas.js';

/** Rotating a webhook's signing secret, with a grace period for the one it replaces. */
const secretRoutes: FastifyPluginAsyncZod<
  Pick<WebhookRoutesOptions, 'endpoints' | 'secretGraceHours'>
> = async (app, options) => {
  app.post(
    '/:id/rotate-secret',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Rotate a webhook’s secret',
        description:
          'Answers a new secret, shown this once. Until `previousSecretExpiresAt` ' +
          `(${options.secretGraceHours} h from now, \`WEBHOOK_SECRET_GRACE_HOURS\`) every ` +
          'delivery is signed with both the new and the previous secret, so a receiver can ' +
          'switch without refusing one. Rotating again within that time retires the oldest ' +
          'secret at once.',
        params: WebhookParamsSchema,
        response: {
          200: RotateResponseSchema.describe('The new secret'),
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const id = parseId(request.params.id) ?? refuse('no-webhook');
      const rotated =
        (await options.endpoints.rotateSecret(request.user.sub, id, options.secretGraceHours)) ??
        refuse('no-webhook');
      return {
        success: true as const,
        data: {
          secret: rotated.secret,
          previousSecretExpiresAt: rotated.previousSecretExpiresAt.toISOString(),
        },
      };
    },
  );
};

export default secretRoutes;
