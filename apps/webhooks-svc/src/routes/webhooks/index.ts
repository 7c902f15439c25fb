import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { toWebhookView } from '../../webhooks/endpoint-view.js';
import { parseId } from '../../webhooks/ids.js';
import deliveryRoutes from './deliveries.js';
import { errorResponses, refuse } from './errors.js';
import type { WebhookRoutesOptions } from './options.js';
import {
  DeleteResponseSchema,
  ListResponseSchema,
  tags,
  WebhookParamsSchema,
  WebhookResponseSchema,
} from './schemas.js';
import secretRoutes from './secret.js';
import sendTestRoute from './send-test.js';
import writeRoutes from './write.js';

/** The caller's webhook endpoints (spec 004 "Webhook Management") under /api/webhooks. */
const webhookRoutes: FastifyPluginAsyncZod<WebhookRoutesOptions> = async (app, options) => {
  const { endpoints, deliveries, checkTarget, maxEndpoints, secretGraceHours } = options;

  app.get(
    '/',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'List my webhooks',
        description: 'Newest first. Secrets are never listed; they are shown once, when made.',
        response: { 200: ListResponseSchema.describe('My webhooks'), ...errorResponses() },
      },
    },
    async (request) => {
      const rows = await endpoints.list(request.user.sub);
      return { success: true as const, data: { webhooks: rows.map(toWebhookView) } };
    },
  );

  app.get(
    '/:id',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Get one of my webhooks',
        description: 'Not in spec 004; the list’s item for one webhook, without its secret.',
        params: WebhookParamsSchema,
        response: { 200: WebhookResponseSchema.describe('The webhook'), ...errorResponses(404) },
      },
    },
    async (request) => {
      const id = parseId(request.params.id) ?? refuse('no-webhook');
      const row = (await endpoints.find(request.user.sub, id)) ?? refuse('no-webhook');
      return { success: true as const, data: toWebhookView(row) };
    },
  );

  app.delete(
    '/:id',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Delete one of my webhooks',
        description: 'Its deliveries and their attempts go with it; nothing more is sent to it.',
        params: WebhookParamsSchema,
        response: { 200: DeleteResponseSchema.describe('Deleted'), ...errorResponses(404) },
      },
    },
    async (request) => {
      const id = parseId(request.params.id) ?? refuse('no-webhook');
      if (!(await endpoints.remove(request.user.sub, id))) refuse('no-webhook');
      return { success: true as const };
    },
  );

  await app.register(writeRoutes, { endpoints, checkTarget, maxEndpoints });
  await app.register(secretRoutes, { endpoints, secretGraceHours });
  await app.register(sendTestRoute, { deliveries });
  await app.register(deliveryRoutes, { endpoints, deliveries });
};

export default webhookRoutes;
