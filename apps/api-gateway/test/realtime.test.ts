import { DEFAULT_SESSION_COOKIE } from '@conveyor/service-kit/auth-config';
import fastifyWebsocket from '@fastify/websocket';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildGateway, type TestGateway } from './helpers/gateway.js';
import { handshake } from './helpers/sockets.js';
import { bearer, tokenFor } from './helpers/tokens.js';
import { startFakeServices } from './helpers/upstream.js';

const allowedOrigin = 'https://app.conveyor.test';
const unauthorized = { success: false, error: 'Unauthorized' };
let services: Awaited<ReturnType<typeof startFakeServices>>;
let gateway: TestGateway;
let base: string;

beforeAll(async () => {
  services = await startFakeServices();
  gateway = await buildGateway({ env: { ...services.env, CORS_ORIGINS: allowedOrigin } });
  base = (await gateway.app.listen({ port: 0, host: '127.0.0.1' })).replace('http://', 'ws://');
});

afterAll(async () => {
  await gateway?.close();
  await services?.close();
});

describe('the gateway’s /api/realtime routes', () => {
  test('a handshake with ?ticket= and no other credential reaches webhooks-svc, which judges it', async () => {
    const before = services.webhooks.seen.length;
    const answer = await handshake(`${base}/api/realtime?ticket=abc`, { origin: allowedOrigin });
    expect(answer).toMatchObject({
      opened: true,
      hello: { service: 'webhooks', url: '/api/realtime?ticket=abc' },
    });
    const seen = services.webhooks.seen.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.authorization).toBeUndefined();
    // The browser's origin travels on, so the service's own origin check sees it too.
    expect(seen[0]!.headers.origin).toBe(allowedOrigin);
  });

  test('a ticket handshake from a foreign origin is refused with 403 before the service', async () => {
    const before = services.webhooks.seen.length;
    expect(
      await handshake(`${base}/api/realtime?ticket=abc`, { origin: 'https://evil.example' }),
    ).toEqual({
      opened: false,
      status: 403,
      body: { success: false, error: 'Forbidden: cross-site request refused' },
    });
    expect(services.webhooks.seen.length).toBe(before);
  });

  test('without a ticket, the socket needs a token as before', async () => {
    expect(await handshake(`${base}/api/realtime`)).toEqual({
      opened: false,
      status: 401,
      body: unauthorized,
    });
    expect(await handshake(`${base}/api/realtime`, { headers: bearer(tokenFor()) })).toMatchObject({
      opened: true,
      hello: { service: 'webhooks', url: '/api/realtime' },
    });
    const cookie = `${DEFAULT_SESSION_COOKIE}=${tokenFor()}`;
    expect(
      await handshake(`${base}/api/realtime`, { headers: { cookie }, origin: allowedOrigin }),
    ).toMatchObject({ opened: true });
  });

  test('a ticket opens nothing else: other sockets, plain requests and the ticket route need a token', async () => {
    const before = services.webhooks.seen.length;
    for (const path of ['/api/jobs?ticket=abc', '/api/notifications/ws?ticket=abc']) {
      expect(await handshake(`${base}${path}`)).toMatchObject({ opened: false, status: 401 });
    }
    const plainGet = await gateway.app.inject({ url: '/api/realtime?ticket=abc' });
    expect(plainGet.statusCode).toBe(401);
    const upgradeHeaderOnly = await gateway.app.inject({
      url: '/api/realtime?ticket=abc',
      headers: { upgrade: 'websocket' },
    });
    expect(upgradeHeaderOnly.statusCode).toBe(401);
    const ticketRoute = await gateway.app.inject({
      method: 'POST',
      url: '/api/realtime/ticket?ticket=abc',
    });
    expect(ticketRoute.statusCode).toBe(401);
    expect(services.webhooks.seen.length).toBe(before);
  });

  test('POST /api/realtime/ticket with a token is proxied to webhooks-svc', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/api/realtime/ticket',
      headers: bearer(tokenFor()),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ service: 'webhooks', url: '/api/realtime/ticket' });
  });

  test('a refusal by the service is the client’s answer, status and body, not an opened socket', async () => {
    const refusing = Fastify({ logger: false });
    await refusing.register(fastifyWebsocket);
    refusing.get(
      '/api/realtime',
      {
        websocket: true,
        onRequest: async (_request, reply) => reply.code(401).send(unauthorized),
      },
      () => undefined,
    );
    const url = await refusing.listen({ port: 0, host: '127.0.0.1' });
    const edge = await buildGateway({ env: { ...services.env, WEBHOOKS_URL: url } });
    try {
      const edgeUrl = (await edge.app.listen({ port: 0, host: '127.0.0.1' })).replace(
        'http://',
        'ws://',
      );
      expect(await handshake(`${edgeUrl}/api/realtime?ticket=used`)).toEqual({
        opened: false,
        status: 401,
        body: unauthorized,
      });
    } finally {
      await edge.close();
      await refusing.close();
    }
  });
});
