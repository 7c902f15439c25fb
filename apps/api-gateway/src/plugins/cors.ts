import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface CorsOptions {
  /** Exact browser origins allowed to call with credentials (CORS_ORIGINS). */
  origins: readonly string[];
}

/**
 * CORS with credentials for the allow-listed origins. It runs before authentication, so a
 * preflight (which never carries credentials) is answered here; a refused origin gets its
 * preflight answered without `Access-Control-Allow-Origin`, which the browser treats as a no.
 */
async function cors(app: FastifyInstance, options: CorsOptions): Promise<void> {
  await app.register(fastifyCors, {
    origin: [...options.origins],
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    // Without these a browser script cannot read its budget or the request id.
    exposedHeaders: [
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
      'Retry-After',
      'X-Request-Id',
    ],
    maxAge: 600,
    // The strict mode answers an OPTIONS without Origin with a plain-text 400, outside the
    // envelope; the services have no use for OPTIONS, so every OPTIONS is answered here.
    strictPreflight: false,
  });
}

export default fp(cors, { name: 'gateway-cors', fastify: '5.x' });
