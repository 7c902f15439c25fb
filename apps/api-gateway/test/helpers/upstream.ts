import type { IncomingHttpHeaders } from 'node:http';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyReply, type FastifyRequest, type HTTPMethods } from 'fastify';

/** What a fake service saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeService {
  name: string;
  url: string;
  /** Every HTTP request and WebSocket handshake under /api, in order of arrival. */
  seen: SeenRequest[];
  close: () => Promise<void>;
}

const methods: HTTPMethods[] = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'];

const record = (request: FastifyRequest, body: unknown = request.body): SeenRequest => ({
  method: request.method,
  url: request.url,
  headers: request.headers,
  body,
});

/**
 * A small real service on a free port, standing in for notifications-svc, admin-jobs-svc or
 * webhooks-svc: it echoes every request under /api (method, path, headers, body), echoes
 * WebSocket messages, and serves `/healthz` and an OpenAPI document with one path per prefix.
 * `?delayMs=` holds an answer back, for timeouts.
 */
export async function startFakeService(
  name: string,
  prefixes: readonly string[],
): Promise<FakeService> {
  const seen: SeenRequest[] = [];
  const app = Fastify({ logger: false, forceCloseConnections: true });
  await app.register(fastifyWebsocket);
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/openapi.json', () => ({
    openapi: '3.1.0',
    info: { title: `Conveyor ${name}`, version: '1.0.0' },
    paths: Object.fromEntries(
      prefixes.map((prefix) => [
        prefix,
        {
          get: {
            operationId: `list-${prefix}`,
            responses: {
              '200': {
                description: 'ok',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } },
              },
            },
          },
        },
      ]),
    ),
    components: { schemas: { Item: { type: 'object', description: `an item of ${name}` } } },
  }));

  const echo = async (request: FastifyRequest, reply: FastifyReply) => {
    seen.push(record(request));
    const delayMs = Number((request.query as { delayMs?: string }).delayMs ?? 0);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return reply.send({
      service: name,
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: request.body ?? null,
    });
  };
  app.route({ method: methods.filter((method) => method !== 'GET'), url: '/api/*', handler: echo });
  app.route({
    method: 'GET',
    url: '/api/*',
    handler: echo,
    wsHandler: (socket, request) => {
      seen.push(record(request, null));
      socket.send(
        JSON.stringify({
          type: 'hello',
          service: name,
          url: request.url,
          headers: request.headers,
        }),
      );
      socket.on('message', (data: Buffer) =>
        socket.send(JSON.stringify({ type: 'echo', data: data.toString() })),
      );
    },
  });

  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { name, url, seen, close: () => app.close() };
}

/** The three services behind the gateway, as fakes, with the env that points a gateway at them. */
export async function startFakeServices() {
  const [notifications, adminJobs, webhooks] = await Promise.all([
    startFakeService('notifications', ['/api/notifications']),
    startFakeService('admin-jobs', ['/api/admin/jobs']),
    startFakeService('webhooks', ['/api/jobs', '/api/webhooks']),
  ]);
  return {
    notifications,
    adminJobs,
    webhooks,
    env: {
      NOTIFICATIONS_URL: notifications.url,
      ADMIN_JOBS_URL: adminJobs.url,
      WEBHOOKS_URL: webhooks.url,
    },
    close: async () => {
      await Promise.all([notifications.close(), adminJobs.close(), webhooks.close()]);
    },
  };
}
