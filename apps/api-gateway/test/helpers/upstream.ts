import type { IncomingHttpHeaders } from 'node:http';
import { errorBody, errorText } from '@conveyor/service-kit/errors';
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

/** What the fake answers a handshake it refuses with `?refuseWith=`, as the services would. */
const refusals: Record<number, string> = {
  401: errorText.unauthorized,
  403: errorText.forbiddenAdmin,
};

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
 * `?delayMs=` holds an answer back, for timeouts; `?refuseWith=<status>` refuses a WebSocket
 * handshake with that status and the error envelope (recorded in `seen` all the same), the way a
 * service refuses a bad `?ticket=` before its socket opens.
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
    onRequest: async (request, reply) => {
      const refuseWith = Number((request.query as { refuseWith?: string }).refuseWith ?? 0);
      if (!request.ws || refuseWith === 0) return;
      seen.push(record(request, null));
      return reply.code(refuseWith).send(errorBody(refusals[refuseWith] ?? 'Refused'));
    },
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
