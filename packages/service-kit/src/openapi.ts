import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

export interface OpenApiOptions {
  title: string;
  description: string;
  version: string;
  /**
   * Path items for routes the generator cannot see, such as a WebSocket upgrade
   * (@fastify/websocket hides its routes from the document).
   */
  paths?: Record<string, Record<string, unknown>>;
}

/** Path of every app's own OpenAPI document; the gateway merges them. */
export const OPENAPI_PATH = '/openapi.json';

/**
 * The OpenAPI 3.1 document of an app, generated from the zod schemas of its routes, served at
 * {@link OPENAPI_PATH}. Must be registered before the routes it describes.
 */
async function openApi(app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.title, description: options.description, version: options.version },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: 'conveyor_session' },
        },
      },
      security: [{ bearerAuth: [] }, { sessionCookie: [] }],
      // A copy: the generator adds every route's path to this object.
      ...(options.paths ? { paths: { ...options.paths } } : {}),
    },
    transform: jsonSchemaTransform,
  });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}

export default fp(openApi, { name: 'conveyor-openapi', fastify: '5.x' });
