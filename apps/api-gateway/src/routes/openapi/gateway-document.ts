import { rateLimitRules, type RateLimitSettings } from '../../rate-limits.js';
import type { OpenApiDocument } from './merge.js';

const envelope = {
  type: 'object',
  required: ['success', 'error'],
  properties: {
    success: { type: 'boolean', const: false },
    error: { type: 'string' },
    details: {},
  },
};

const rateLimitHeaders = {
  'X-RateLimit-Limit': { $ref: '#/components/headers/X-RateLimit-Limit' },
  'X-RateLimit-Remaining': { $ref: '#/components/headers/X-RateLimit-Remaining' },
  'X-RateLimit-Reset': { $ref: '#/components/headers/X-RateLimit-Reset' },
};

const errorResponse = (
  description: string,
  example: string,
  headers?: Record<string, unknown>,
) => ({
  description,
  ...(headers ? { headers } : {}),
  content: {
    'application/json': {
      schema: { $ref: '#/components/schemas/ErrorEnvelope' },
      example: { success: false, error: example },
    },
  },
});

/** The answers the gateway itself may give on any proxied operation. */
export const gatewayResponses = {
  '401': { $ref: '#/components/responses/Unauthorized' },
  '429': { $ref: '#/components/responses/TooManyRequests' },
  '502': { $ref: '#/components/responses/BadGateway' },
  '504': { $ref: '#/components/responses/GatewayTimeout' },
} as const;

function rateLimitTable(settings: RateLimitSettings): string {
  const scaled = (limit: number) => Math.max(1, Math.round(limit * settings.scale));
  const rows = rateLimitRules.map(
    (rule) => `| \`${rule.method} ${rule.route}\` | ${scaled(rule.limit)} |`,
  );
  return [
    '| Endpoint | Requests per minute per user |',
    '| --- | --- |',
    ...rows,
    `| any other GET, HEAD or OPTIONS endpoint | ${scaled(settings.defaultRead)} (each endpoint its own budget) |`,
    `| any other POST, PUT, PATCH or DELETE endpoint | ${scaled(settings.defaultWrite)} (each endpoint its own budget) |`,
  ].join('\n');
}

/** The gateway's own part of the merged document: authentication, roles and rate limits. */
export function gatewayDocument(options: {
  sessionCookie: string;
  rateLimits: RateLimitSettings;
}): OpenApiDocument {
  const description = `The one entry point of Conveyor's APIs: the notifications, admin job monitoring and job feedback services, merged.

## Authentication
Every \`/api\` path except this document and the docs needs a JWT, as \`Authorization: Bearer <token>\` or in the \`${options.sessionCookie}\` cookie. A missing, malformed, expired or wrongly signed token answers 401 \`Unauthorized\`. With the cookie, POST, PUT, PATCH and DELETE (and WebSocket upgrades) must come from the same site or an allowed origin, or they answer 403.

## Roles
\`/api/admin/*\` needs the ADMIN role (403 \`Forbidden: Admin access required\` otherwise); every other path serves ADMIN, CREATOR, BRAND and VIEWER.

## Rate limits
Per user and per endpoint (method and route pattern, so ids in a path share one budget), one-minute windows shared by every gateway instance. Every authenticated response carries \`X-RateLimit-Limit\`, \`X-RateLimit-Remaining\` and \`X-RateLimit-Reset\` (Unix time in seconds); a 429 adds \`Retry-After\`.

${rateLimitTable(options.rateLimits)}

## WebSocket
An upgrade under a service's prefix is authenticated like any request (a token, the ADMIN role under \`/api/admin\`, the endpoint's rate limit), then proxied to the same path of the service: \`/api/realtime\` (a user's job events) and \`/api/admin/jobs/stream\` (the admin rooms \`queues\`, \`tasks\`, \`tasks:<queue>\` and \`batch\`). A browser, which cannot set \`Authorization\` on a handshake, may instead connect to either with a single-use \`?ticket=\` from \`POST /api/realtime/ticket\`; such a handshake goes to the service, which redeems the ticket and judges its claims (ADMIN for the admin stream) and answers 401 for a bad, used or expired one. A refused handshake is an ordinary HTTP answer with the error envelope.`;

  return {
    openapi: '3.1.0',
    info: { title: 'Conveyor API', version: '1.0.0', description },
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }, { sessionCookie: [] }],
    tags: [],
    paths: {},
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: options.sessionCookie },
      },
      schemas: { ErrorEnvelope: envelope },
      headers: {
        'X-RateLimit-Limit': {
          description: 'Requests allowed in the window',
          schema: { type: 'integer' },
        },
        'X-RateLimit-Remaining': {
          description: 'Requests left in the window',
          schema: { type: 'integer' },
        },
        'X-RateLimit-Reset': {
          description: 'Unix time (seconds) when the window ends',
          schema: { type: 'integer' },
        },
        'Retry-After': {
          description: 'Seconds to wait before retrying',
          schema: { type: 'integer' },
        },
      },
      responses: {
        Unauthorized: errorResponse('No valid token', 'Unauthorized'),
        Forbidden: errorResponse(
          'The role or the origin is not allowed',
          'Forbidden: Admin access required',
        ),
        TooManyRequests: errorResponse(
          'The budget of this endpoint is spent',
          'Too many requests. Please try again later.',
          {
            ...rateLimitHeaders,
            'Retry-After': { $ref: '#/components/headers/Retry-After' },
          },
        ),
        BadGateway: errorResponse('The service did not answer', 'Upstream service unavailable'),
        GatewayTimeout: errorResponse('The service took too long', 'Upstream service timed out'),
      },
    },
  };
}
