import { errorBody, errorText } from '@conveyor/service-kit/errors';
import scalarApiReference from '@scalar/fastify-api-reference';
import type { FastifyInstance } from 'fastify';
import { getJson } from '../../upstream-client.js';
import type { Upstream } from '../../upstreams.js';
import type { RateLimitSettings } from '../../rate-limits.js';
import { gatewayDocument, gatewayResponses } from './gateway-document.js';
import { mergeDocuments, type FetchedDocument, type OpenApiDocument } from './merge.js';

export interface OpenApiRoutesOptions {
  upstreams: readonly Upstream[];
  sessionCookie: string;
  rateLimits: RateLimitSettings;
  /** Milliseconds a service may take to hand over its document. */
  timeoutMs: number;
}

/** Path of every service's own document (service-kit's OPENAPI_PATH). */
const SERVICE_DOCUMENT_PATH = '/openapi.json';

/**
 * Public documentation: each service's document through the gateway, the merged document, and
 * a docs UI over it. Documents are fetched on each call rather than cached: they are read by
 * people and tools, rarely, and a redeployed service shows its new routes at once.
 */
export default async function openApiRoutes(
  app: FastifyInstance,
  options: OpenApiRoutesOptions,
): Promise<void> {
  const gateway = gatewayDocument({
    sessionCookie: options.sessionCookie,
    rateLimits: options.rateLimits,
  });

  async function fetchDocument(upstream: Upstream): Promise<FetchedDocument> {
    try {
      const document = (await getJson(
        app.upstreamAgent,
        `${upstream.url}${SERVICE_DOCUMENT_PATH}`,
        options.timeoutMs,
      )) as OpenApiDocument;
      return { service: upstream.name, document };
    } catch (error) {
      app.log.warn({ upstream: upstream.name, err: error }, 'OpenAPI document unavailable');
      return {
        service: upstream.name,
        problem: error instanceof Error ? error.message : String(error),
      };
    }
  }

  for (const upstream of options.upstreams) {
    app.get(`/api/openapi/${upstream.name}.json`, async (_request, reply) => {
      const fetched = await fetchDocument(upstream);
      if ('problem' in fetched)
        return reply.code(502).send(errorBody(errorText.badGateway, { service: upstream.name }));
      return fetched.document;
    });
  }

  app.get('/api/openapi.json', async () => {
    const fetched = await Promise.all(options.upstreams.map(fetchDocument));
    return mergeDocuments(gateway, fetched, gatewayResponses);
  });

  await app.register(scalarApiReference, {
    routePrefix: '/api/docs',
    configuration: { url: '/api/openapi.json', pageTitle: 'Conveyor API' },
  });
}
