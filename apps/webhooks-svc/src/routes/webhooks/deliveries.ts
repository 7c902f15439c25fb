import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseId } from '../../webhooks/ids.js';
import { errorResponses, refuse } from './errors.js';
import type { WebhookRoutesOptions } from './options.js';
import {
  DeliveriesQuerySchema,
  DeliveriesResponseSchema,
  DeliveryParamsSchema,
  DeliveryResponseSchema,
  tags,
  WebhookParamsSchema,
} from './schemas.js';

/** A webhook's delivery log, and resending one of its deliveries. */
const deliveryRoutes: FastifyPluginAsyncZod<
  Pick<WebhookRoutesOptions, 'endpoints' | 'deliveries'>
> = async (app, options) => {
  const { endpoints, deliveries } = options;

  app.get(
    '/:id/deliveries',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'List a webhook’s deliveries',
        description:
          'Newest first, each with its latest attempts: when each was made, what came back ' +
          '(status, the first bytes of the body) or why none did, and when the retry was due.',
        params: WebhookParamsSchema,
        querystring: DeliveriesQuerySchema,
        response: {
          200: DeliveriesResponseSchema.describe('A page of the webhook’s deliveries'),
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => {
      const id = parseId(request.params.id) ?? refuse('no-webhook');
      if (!(await endpoints.find(request.user.sub, id))) refuse('no-webhook');
      const { page, limit, state } = request.query;
      const { rows, total } = await deliveries.list(id, state, { page, limit });
      return {
        success: true as const,
        data: {
          deliveries: rows,
          pagination: { total, page, limit, pages: Math.ceil(total / limit) },
        },
      };
    },
  );

  app.post(
    '/:id/deliveries/:deliveryId/resend',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Resend a delivery',
        description:
          'Makes a `succeeded` or `failed` delivery `pending` and due at once, with the full ' +
          'retry budget again; its earlier attempts stay in the log. The same message is sent ' +
          '(the same `webhook-id`, so a receiver that already took it can tell). A delivery ' +
          'still `pending` or `sending` answers 409 `Delivery in progress`; an inactive webhook ' +
          '409 `Webhook is disabled`.',
        params: DeliveryParamsSchema,
        response: {
          202: DeliveryResponseSchema.describe('The delivery, pending again'),
          ...errorResponses(404, 409),
        },
      },
    },
    async (request, reply) => {
      const id = parseId(request.params.id) ?? refuse('no-webhook');
      const deliveryId = parseId(request.params.deliveryId);
      if (deliveryId === null) {
        // The webhook decides first, as for a well-formed id that names no delivery.
        if (!(await endpoints.find(request.user.sub, id))) refuse('no-webhook');
        refuse('no-delivery');
      }
      const resent = await deliveries.resend(request.user.sub, id, deliveryId);
      if (typeof resent === 'string') refuse(resent);
      return reply.code(202).send({ success: true as const, data: resent });
    },
  );
};

export default deliveryRoutes;
