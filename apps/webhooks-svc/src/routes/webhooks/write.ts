import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { toWebhookView } from '../../webhooks/endpoint-view.js';
import { parseId } from '../../webhooks/ids.js';
import { errorResponses, refuse } from './errors.js';
import type { WebhookRoutesOptions } from './options.js';
import {
  CreateBodySchema,
  CreateResponseSchema,
  tags,
  UpdateBodySchema,
  WebhookParamsSchema,
  WebhookResponseSchema,
} from './schemas.js';

/** Registering a webhook and changing it: both check the URL against the SSRF policy. */
const writeRoutes: FastifyPluginAsyncZod<
  Pick<WebhookRoutesOptions, 'endpoints' | 'checkTarget' | 'maxEndpoints'>
> = async (app, options) => {
  const { endpoints, checkTarget } = options;

  app.post(
    '/',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Create a webhook',
        description:
          'Answers the webhook and its signing secret, which is never shown again (rotate it to ' +
          'get a new one). A URL the SSRF policy refuses (`http:` where not allowed, ' +
          'credentials, a host that resolves to a private, loopback, link-local or otherwise ' +
          'non-public address) is 400 `Invalid request body`, the reason in `details`. A user ' +
          `may have ${options.maxEndpoints} webhooks (\`WEBHOOK_MAX_ENDPOINTS_PER_USER\`); one ` +
          'more is 409 `Webhook limit reached`.',
        body: CreateBodySchema,
        response: {
          201: CreateResponseSchema.describe('Created; the secret is shown this once'),
          ...errorResponses(400, 409),
        },
      },
    },
    async (request, reply) => {
      await checkTarget(request.body.url);
      const created = await endpoints.create(request.user.sub, request.body, options.maxEndpoints);
      if (typeof created === 'string') refuse(created);
      return reply.code(201).send({
        success: true as const,
        data: { webhook: toWebhookView(created.row), secret: created.secret },
      });
    },
  );

  app.put(
    '/:id',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Update one of my webhooks',
        description:
          'Changes the fields given, at least one; the others stay as they are. `active: false` ' +
          'stops sending at once: its pending deliveries become `failed` with `endpoint ' +
          'disabled` (resend them later). `active: true` turns a webhook the platform disabled ' +
          '(`disabledReason`) back on and forgets why. A new URL is checked like at creation.',
        params: WebhookParamsSchema,
        body: UpdateBodySchema,
        response: {
          200: WebhookResponseSchema.describe('The webhook as it is now'),
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => {
      const id = parseId(request.params.id) ?? refuse('no-webhook');
      // Checked like the body's schema, before the webhook is looked up: a refused URL is 400
      // for every id, so it tells nothing about whose ids exist.
      if (request.body.url !== undefined) await checkTarget(request.body.url);
      const row =
        (await endpoints.update(request.user.sub, id, request.body)) ?? refuse('no-webhook');
      return { success: true as const, data: toWebhookView(row) };
    },
  );
};

export default writeRoutes;
