import { DEFAULT_SESSION_COOKIE } from '@conveyor/service-kit/auth-config';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config.js';
import { upstreamsFrom } from '../src/upstreams.js';
import { buildGateway, type TestGateway } from './helpers/gateway.js';
import { handshake, openSocket } from './helpers/sockets.js';
import { bearer, tokenFor } from './helpers/tokens.js';
import { startFakeServices } from './helpers/upstream.js';

const allowedOrigin = 'https://app.conveyor.test';
const unauthorized = { success: false, error: 'Unauthorized' };
const forbidden = { success: false, error: 'Forbidden: Admin access required' };
const nonAdminRoles = ['CREATOR', 'BRAND', 'VIEWER'] as const;

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

/** Sample values for the `:params` of the admin route patterns; any other gets `sample-<name>`. */
const samples: Record<string, string> = {
  queueName: 'notifications',
  jobId: 'job-1',
  schedulerId: 'daily-digest',
  batchId: 'batch-1',
};

/**
 * Every route pattern the gateway registers for admin-jobs-svc, read from `upstreamsFrom` so a
 * route added there is covered here without a word changed, with a path that matches it (the
 * catch-all `/*` stands for an admin path the gateway does not list, `/health`).
 */
const adminRoutes = upstreamsFrom(loadConfig({ NODE_ENV: 'test' }))
  .filter((upstream) => upstream.name === 'admin-jobs')
  .flatMap((upstream) => upstream.prefixes)
  .flatMap(({ prefix, routes }) => routes.map((route) => (route === '/' ? prefix : prefix + route)))
  .map((pattern) => ({
    pattern,
    path: pattern
      .replace(/\/\*$/, '/health')
      .replace(/:(\w+)/g, (_match, name: string) => samples[name] ?? `sample-${name}`),
  }));

/** Each route with each method a client would use on it: the guard is the same for all. */
const adminCalls = adminRoutes.flatMap(({ pattern, path }) =>
  (['GET', 'POST'] as const).map((method) => ({ method, pattern, path })),
);
const callName = (call: (typeof adminCalls)[number]) =>
  [`${call.method} ${call.pattern}`, call] as const;

describe('every admin route of the gateway', () => {
  test('the list is derived from the gateway’s routes and holds the newest ones', () => {
    expect(adminRoutes.map(({ pattern }) => pattern)).toEqual(
      expect.arrayContaining([
        '/api/admin/jobs',
        '/api/admin/jobs/*',
        '/api/admin/jobs/:queueName/:jobId/retry',
        '/api/admin/jobs/bulk/retry',
        '/api/admin/jobs/bulk/cancel',
        '/api/admin/jobs/batches',
        '/api/admin/jobs/batches/:batchId',
        '/api/admin/jobs/stream',
      ]),
    );
    for (const { path } of adminRoutes) expect(path).not.toMatch(/[:*]/);
  });

  test.each(adminCalls.map(callName))(
    '%s without a token is 401 and never reaches the service',
    async (_name, { method, path }) => {
      const before = services.adminJobs.seen.length;
      const response = await gateway.app.inject({ method, url: path });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual(unauthorized);
      expect(services.adminJobs.seen.length).toBe(before);
    },
  );

  test.each(adminCalls.map(callName))(
    '%s with a CREATOR, BRAND or VIEWER token is 403 and never reaches the service',
    async (_name, { method, path }) => {
      const before = services.adminJobs.seen.length;
      for (const role of nonAdminRoles) {
        const response = await gateway.app.inject({
          method,
          url: path,
          headers: bearer(tokenFor(role)),
        });
        expect(response.statusCode, role).toBe(403);
        expect(response.json()).toEqual(forbidden);
      }
      expect(services.adminJobs.seen.length).toBe(before);
    },
  );

  test.each(adminCalls.map(callName))(
    '%s with an ADMIN token reaches admin-jobs-svc, path unchanged',
    async (_name, { method, path }) => {
      const before = services.adminJobs.seen.length;
      const response = await gateway.app.inject({
        method,
        url: path,
        headers: bearer(tokenFor('ADMIN')),
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ service: 'admin-jobs', method, url: path });
      expect(
        services.adminJobs.seen.slice(before).map((seen) => `${seen.method} ${seen.url}`),
      ).toEqual([`${method} ${path}`]);
    },
  );
});

describe('the admin stream /api/admin/jobs/stream', () => {
  const stream = () => `${base}/api/admin/jobs/stream`;

  test('a handshake without a token is 401 before any socket to the service opens', async () => {
    const before = services.adminJobs.seen.length;
    expect(await handshake(stream())).toEqual({ opened: false, status: 401, body: unauthorized });
    expect(await handshake(stream(), { headers: bearer('not-a-jwt') })).toEqual({
      opened: false,
      status: 401,
      body: unauthorized,
    });
    expect(services.adminJobs.seen.length).toBe(before);
  });

  test.each(nonAdminRoles)(
    'a %s handshake is 403 before any socket to the service opens, by bearer or cookie',
    async (role) => {
      const before = services.adminJobs.seen.length;
      expect(await handshake(stream(), { headers: bearer(tokenFor(role)) })).toEqual({
        opened: false,
        status: 403,
        body: forbidden,
      });
      const cookie = `${DEFAULT_SESSION_COOKIE}=${tokenFor(role)}`;
      expect(await handshake(stream(), { headers: { cookie }, origin: allowedOrigin })).toEqual({
        opened: false,
        status: 403,
        body: forbidden,
      });
      expect(services.adminJobs.seen.length).toBe(before);
    },
  );

  test('an ADMIN bearer handshake is proxied with its token, and messages flow both ways', async () => {
    const token = tokenFor('ADMIN');
    const { socket, nextMessage } = await openSocket(stream(), {
      ...bearer(token),
      'x-request-id': 'admin-stream-1',
    });
    try {
      const hello = (await nextMessage()) as { headers: Record<string, string> };
      expect(hello).toMatchObject({
        type: 'hello',
        service: 'admin-jobs',
        url: '/api/admin/jobs/stream',
      });
      expect(hello.headers.authorization).toBe(`Bearer ${token}`);
      expect(hello.headers['x-request-id']).toBe('admin-stream-1');
      for (const room of ['queues', 'tasks', 'tasks:notifications', 'batch']) {
        const command = JSON.stringify({ type: 'subscribe', room });
        socket.send(command);
        expect(await nextMessage()).toEqual({ type: 'echo', data: command });
      }
    } finally {
      socket.close();
    }
  });

  test('an ADMIN session cookie from an allowed origin opens the stream too', async () => {
    const cookie = `${DEFAULT_SESSION_COOKIE}=${tokenFor('ADMIN')}`;
    expect(await handshake(stream(), { headers: { cookie }, origin: allowedOrigin })).toMatchObject(
      { opened: true, hello: { service: 'admin-jobs', url: '/api/admin/jobs/stream' } },
    );
  });

  test('a ?ticket= handshake without a token is passed to admin-jobs-svc unjudged', async () => {
    const before = services.adminJobs.seen.length;
    expect(await handshake(`${stream()}?ticket=abc`, { origin: allowedOrigin })).toMatchObject({
      opened: true,
      hello: { service: 'admin-jobs', url: '/api/admin/jobs/stream?ticket=abc' },
    });
    const seen = services.adminJobs.seen.slice(before);
    expect(seen.map(({ url }) => url)).toEqual(['/api/admin/jobs/stream?ticket=abc']);
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(seen[0]!.headers.origin).toBe(allowedOrigin);
  });

  test('the service’s refusal of a ticket is the client’s answer: 401, status and body', async () => {
    const before = services.adminJobs.seen.length;
    const url = `${stream()}?ticket=used&refuseWith=401`;
    expect(await handshake(url, { origin: allowedOrigin })).toEqual({
      opened: false,
      status: 401,
      body: unauthorized,
    });
    // The gateway forwarded the handshake; the 401 is the service's.
    expect(services.adminJobs.seen.slice(before).map(({ url: seen }) => seen)).toEqual([
      '/api/admin/jobs/stream?ticket=used&refuseWith=401',
    ]);
  });

  test('a ticket handshake from a foreign origin is 403 before the service', async () => {
    const before = services.adminJobs.seen.length;
    expect(await handshake(`${stream()}?ticket=abc`, { origin: 'https://evil.example' })).toEqual({
      opened: false,
      status: 403,
      body: { success: false, error: 'Forbidden: cross-site request refused' },
    });
    expect(services.adminJobs.seen.length).toBe(before);
  });

  test('a ticket opens no other admin path, and a plain request to the stream needs a token', async () => {
    const before = services.adminJobs.seen.length;
    for (const path of ['/api/admin/jobs?ticket=abc', '/api/admin/jobs/health?ticket=abc']) {
      expect(await handshake(`${base}${path}`)).toEqual({
        opened: false,
        status: 401,
        body: unauthorized,
      });
    }
    const plain = await gateway.app.inject({ url: '/api/admin/jobs/stream?ticket=abc' });
    expect(plain.statusCode).toBe(401);
    expect(plain.json()).toEqual(unauthorized);
    expect(services.adminJobs.seen.length).toBe(before);
  });
});
