import { createServer, type AddressInfo } from 'node:net';
import { DEFAULT_SESSION_COOKIE } from '@conveyor/service-kit/auth-config';
import { freePort } from '@conveyor/test-harness/ports';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { buildGateway, type TestGateway } from './helpers/gateway.js';
import { openSocket } from './helpers/sockets.js';
import { bearer, tokenFor } from './helpers/tokens.js';
import { startFakeServices } from './helpers/upstream.js';

const allowedOrigin = 'https://app.conveyor.test';
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

/** Opens a socket at a path of the gateway; see `openSocket`. */
const open = (path: string, headers: Record<string, string>) =>
  openSocket(`${base}${path}`, headers);

/** The HTTP status and JSON body a refused handshake answered with. */
async function refusalOf(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  const socket = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.once('end', () => {
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(body) });
        socket.terminate();
      });
    });
    socket.once('open', () => reject(new Error('the handshake was accepted')));
    socket.once('error', () => undefined);
  });
}

/** The HTTP status a refused handshake answered with. */
async function refusedWith(path: string, headers: Record<string, string>): Promise<number> {
  return (await refusalOf(`${base}${path}`, headers)).status;
}

describe('WebSocket proxy', () => {
  test('an authenticated socket reaches the service at the same path, with credentials and request id, and echoes', async () => {
    const token = tokenFor('VIEWER');
    const { socket, nextMessage } = await open('/api/notifications/ws?room=inbox', {
      ...bearer(token),
      'x-request-id': 'socket-trace-1',
    });
    try {
      const hello = (await nextMessage()) as {
        type: string;
        url: string;
        headers: Record<string, string>;
      };
      expect(hello).toMatchObject({ type: 'hello', url: '/api/notifications/ws?room=inbox' });
      expect(hello.headers.authorization).toBe(`Bearer ${token}`);
      expect(hello.headers['x-request-id']).toBe('socket-trace-1');
      socket.send(JSON.stringify({ type: 'subscribe', room: 'inbox' }));
      expect(await nextMessage()).toEqual({
        type: 'echo',
        data: JSON.stringify({ type: 'subscribe', room: 'inbox' }),
      });
    } finally {
      socket.close();
    }
  });

  test('a socket authenticated by the session cookie from an allowed origin is proxied with the cookie', async () => {
    const cookie = `${DEFAULT_SESSION_COOKIE}=${tokenFor('CREATOR')}`;
    const { socket, nextMessage } = await open('/api/jobs/ws', { cookie, origin: allowedOrigin });
    try {
      const hello = (await nextMessage()) as { service: string; headers: Record<string, string> };
      expect(hello.service).toBe('webhooks');
      expect(hello.headers.cookie).toBe(cookie);
    } finally {
      socket.close();
    }
  });

  test('the client gets the subprotocol the service chose from those it asked for', async () => {
    const socket = new WebSocket(`${base}/api/jobs/ws`, ['conveyor.v2', 'conveyor.v1'], {
      headers: bearer(tokenFor()),
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      // ws, the fake service's server, takes the first one offered.
      expect(socket.protocol).toBe('conveyor.v2');
    } finally {
      socket.close();
    }
  });

  test('an ADMIN socket reaches the admin service', async () => {
    const { socket, nextMessage } = await open('/api/admin/jobs/ws', bearer(tokenFor('ADMIN')));
    try {
      expect(await nextMessage()).toMatchObject({ type: 'hello', service: 'admin-jobs' });
    } finally {
      socket.close();
    }
  });

  test('an upgrade without a token is refused with 401 before the service sees it', async () => {
    const before = services.notifications.seen.length;
    expect(await refusedWith('/api/notifications/ws', {})).toBe(401);
    expect(await refusedWith('/api/notifications/ws', bearer('not-a-jwt'))).toBe(401);
    expect(services.notifications.seen.length).toBe(before);
  });

  test('a non-admin upgrade on an admin path is refused with 403 before the service sees it', async () => {
    const before = services.adminJobs.seen.length;
    expect(await refusedWith('/api/admin/jobs/ws', bearer(tokenFor('VIEWER')))).toBe(403);
    expect(services.adminJobs.seen.length).toBe(before);
  });

  test('a cookie-authenticated upgrade from a cross-site origin is refused with 403', async () => {
    const cookie = `${DEFAULT_SESSION_COOKIE}=${tokenFor('VIEWER')}`;
    expect(
      await refusedWith('/api/notifications/ws', { cookie, origin: 'https://evil.example' }),
    ).toBe(403);
  });

  test('a socket to a service that never answers the handshake is refused with 504', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const slow = await buildGateway({
      env: {
        ...services.env,
        NOTIFICATIONS_URL: `http://127.0.0.1:${port}`,
        UPSTREAM_TIMEOUT_MS: '300',
      },
    });
    try {
      const url = (await slow.app.listen({ port: 0, host: '127.0.0.1' })).replace(
        'http://',
        'ws://',
      );
      expect(await refusalOf(`${url}/api/notifications/ws`, bearer(tokenFor()))).toEqual({
        status: 504,
        body: { success: false, error: 'Upstream service timed out' },
      });
    } finally {
      await slow.close();
      silent.close();
    }
  });

  test('a socket to a service that is down is refused with 502 in the envelope, and the gateway keeps serving', async () => {
    const down = await buildGateway({
      env: { ...services.env, NOTIFICATIONS_URL: `http://127.0.0.1:${await freePort()}` },
    });
    try {
      const url = (await down.app.listen({ port: 0, host: '127.0.0.1' })).replace(
        'http://',
        'ws://',
      );
      expect(await refusalOf(`${url}/api/notifications/ws`, bearer(tokenFor()))).toEqual({
        status: 502,
        body: { success: false, error: 'Upstream service unavailable' },
      });
      const response = await down.app.inject({
        method: 'GET',
        url: '/api/jobs',
        headers: bearer(tokenFor()),
      });
      expect(response.statusCode).toBe(200);
    } finally {
      await down.close();
    }
  });
});
