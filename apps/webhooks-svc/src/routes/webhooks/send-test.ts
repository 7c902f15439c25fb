import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseId } from '../../webhooks/ids.js';
import { errorResponses, refuse } from './errors.js';
import type { WebhookRoutesOptions } from './options.js';
import { tags, TestResponseSchema, WebhookParamsSchema } from './schemas.js';

/** Sending a test event to one webhook, to try a receiver and its signature check. */
const sendTestRoute: FastifyPluginAsyncZod<Pick<WebhookRoutesOptions, 'deliveries'>> = async (
  app,
  options,
) => {
  app.post(
    '/:id/test',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Send a test event to a webhook',
        description:
          'Queues one signed delivery of a `test` event to this webhook alone: spec 004’s ' +
          'payload with `eventType` `test` and `jobname` `webhook.test`. It is sent like any ' +
          'other (retries included) and listed with its deliveries. An inactive webhook ' +
          'answers 409 `Webhook is disabled`.',
        params: WebhookParamsSchema,
        response: {
          202: TestResponseSchema.describe('Queued'),
          ...errorResponses(404, 409),
        },
      },
    },
    async (request, reply) => {
      const id = parseId(request.params.id) ?? refuse('no-webhook');
      const queued = await options.deliveries.sendTest(request.user.sub, id);
      if (typeof queued === 'string') refuse(queued);
      return reply.code(202).send({ success: true as const, data: queued });
    },
  );
};

export default sendTestRoute;
