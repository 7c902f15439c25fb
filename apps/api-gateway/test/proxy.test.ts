import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@conveyor/test-harness/ports';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { climbsOut } from '../src/routes/proxy/index.js';
import { buildGateway, type TestGateway } from './helpers/gateway.js';
import { bearer, tokenFor } from './helpers/tokens.js';
import { startFakeServices } from './helpers/upstream.js';

const allowedOrigin = 'https://app.conveyor.test';
const bodyLimit = 4096;
let services: Awaited<ReturnType<typeof startFakeServices>>;
let gateway: TestGateway;

beforeAll(async () => {
  services = await startFakeServices();
  gateway = await buildGateway({
    env: {
      ...services.env,
      CORS_ORIGINS: allowedOrigin,
      BODY_LIMIT_BYTES: String(bodyLimit),
      UPSTREAM_TIMEOUT_MS: '300',
    },
  });
});

afterAll(async () => {
  await gateway?.close();
  await services?.close();
});

describe('HTTP proxy', () => {
  test('a request reaches its service at the same path with its query, request id and Authorization', async () => {
    const token = tokenFor('VIEWER');
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/api/notifications?page=2&pageSize=20',
      headers: { ...bearer(token), 'x-request-id': 'trace-abc-123' },
    });
    expect(response.statusCode).toBe(200);
    const seen = response.json();
    expect(seen).toMatchObject({
      service: 'notifications',
      method: 'GET',
      url: '/api/notifications?page=2&pageSize=20',
    });
    expect(seen.headers['x-request-id']).toBe('trace-abc-123');
    expect(seen.headers.authorization).toBe(`Bearer ${token}`);
    expect(response.headers['x-request-id']).toBe('trace-abc-123');
  });

  test('a request without an id gets one from the gateway, and the service sees the same id', async () => {
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/api/webhooks',
      headers: bearer(tokenFor()),
    });
    const id = response.headers['x-request-id'];
    expect(id).toMatch(/^[\w-]{8,}$/);
    expect(response.json().headers['x-request-id']).toBe(id);
  });

  test.each([
    ['/api/notifications/n-1/read', 'notifications'],
    ['/api/admin/jobs/search-index/stats', 'admin-jobs'],
    ['/api/jobs/job-42', 'webhooks'],
    ['/api/webhooks/hook-7', 'webhooks'],
  ])('%s is served by %s, path unchanged', async (url, service) => {
    const response = await gateway.app.inject({
      method: 'GET',
      url,
      headers: bearer(tokenFor('ADMIN')),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ service, url });
  });

  test('a JSON body is passed through to the service as sent', async () => {
    const payload = JSON.stringify({ url: 'https://hooks.example/x', events: ['job:completed'] });
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/api/webhooks',
      headers: { ...bearer(tokenFor()), 'content-type': 'application/json' },
      payload,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ method: 'POST', body: JSON.parse(payload) });
    expect(response.json().headers['content-length']).toBe(String(Buffer.byteLength(payload)));
  });

  test('the service answer (status and body) comes back unchanged with the rate-limit headers added', async () => {
    const response = await gateway.app.inject({
      method: 'DELETE',
      url: '/api/notifications/n-9',
      headers: bearer(tokenFor()),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-ratelimit-limit']).toBe('60');
    expect(response.json()).toMatchObject({ method: 'DELETE', url: '/api/notifications/n-9' });
  });

  test('a stopped service answers 502 in the envelope within its connect attempt', async () => {
    const down = await buildGateway({
      env: { ...services.env, NOTIFICATIONS_URL: `http://127.0.0.1:${await freePort()}` },
    });
    try {
      const response = await down.app.inject({
        method: 'GET',
        url: '/api/notifications',
        headers: bearer(tokenFor()),
      });
      expect(response.statusCode).toBe(502);
      expect(response.json()).toEqual({ success: false, error: 'Upstream service unavailable' });
      expect(response.headers['x-ratelimit-limit']).toBe('100');
      const other = await down.app.inject({
        method: 'GET',
        url: '/api/jobs',
        headers: bearer(tokenFor()),
      });
      expect(other.statusCode).toBe(200);
      expect(await down.metrics.metrics()).toMatch(
        /gateway_upstream_failures_total\{upstream="notifications",reason="unavailable".*\} 1/,
      );
    } finally {
      await down.close();
    }
  });

  test('a service slower than UPSTREAM_TIMEOUT_MS answers 504 in the envelope', async () => {
    const started = Date.now();
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/api/jobs?delayMs=2000',
      headers: bearer(tokenFor()),
    });
    expect(response.statusCode).toBe(504);
    expect(response.json()).toEqual({ success: false, error: 'Upstream service timed out' });
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('body limit', () => {
  test('a body over BODY_LIMIT_BYTES is refused with 413 in the envelope and never forwarded', async () => {
    const before = services.webhooks.seen.length;
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/api/webhooks',
      headers: { ...bearer(tokenFor()), 'content-type': 'application/json' },
      payload: JSON.stringify({ blob: 'x'.repeat(bodyLimit) }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ success: false, error: 'Request body too large' });
    expect(services.webhooks.seen.length).toBe(before);
  });

  test('a body exactly at the limit is forwarded', async () => {
    const payload = 'y'.repeat(bodyLimit);
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/api/jobs',
      headers: { ...bearer(tokenFor()), 'content-type': 'text/plain' },
      payload,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().body).toBe(payload);
  });

  test('a chunked body that grows past the limit is cut off with 413', async () => {
    const url = await gateway.app.listen({ port: 0, host: '127.0.0.1' });
    const { status, body } = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        const outgoing = httpRequest(`${url}/api/jobs`, {
          method: 'POST',
          headers: {
            ...bearer(tokenFor()),
            'content-type': 'text/plain',
            'transfer-encoding': 'chunked',
          },
        });
        outgoing.on('response', (incoming) => {
          let text = '';
          incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
          incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: text }));
        });
        outgoing.on('error', reject);
        const chunk = 'z'.repeat(1024);
        for (let sent = 0; sent < bodyLimit * 3; sent += chunk.length) outgoing.write(chunk);
        outgoing.end();
      },
    );
    expect(status).toBe(413);
    expect(JSON.parse(body)).toEqual({ success: false, error: 'Request body too large' });
  });
});

describe('CORS', () => {
  test('a preflight from an allowed origin is answered with that origin and credentials, without a token', async () => {
    const response = await gateway.app.inject({
      method: 'OPTIONS',
      url: '/api/notifications/preferences',
      headers: {
        origin: allowedOrigin,
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(allowedOrigin);
    expect(response.headers['access-control-allow-credentials']).toBe('true');
    expect(response.headers['access-control-allow-methods']).toContain('PATCH');
    expect(response.headers['access-control-allow-headers']).toBe('authorization,content-type');
  });

  test('a preflight from an origin not on the list gets no Access-Control-Allow-Origin', async () => {
    const response = await gateway.app.inject({
      method: 'OPTIONS',
      url: '/api/notifications/preferences',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'PATCH' },
    });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('an allowed origin can read the rate-limit headers of a proxied answer', async () => {
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/api/notifications/unread-count',
      headers: { ...bearer(tokenFor()), origin: allowedOrigin },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe(allowedOrigin);
    expect(response.headers['access-control-expose-headers']).toContain('X-RateLimit-Reset');
  });
});

describe('pass-through details', () => {
  test('hop-by-hop request headers, and those the Connection header names, stay at the gateway', async () => {
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/api/jobs',
      headers: {
        ...bearer(tokenFor()),
        connection: 'keep-alive, x-hop-secret',
        'x-hop-secret': 'for the gateway only',
        'keep-alive': 'timeout=5',
        'x-end-to-end': 'for the service',
      },
    });
    expect(response.statusCode).toBe(200);
    const seen = response.json().headers as Record<string, string>;
    expect(seen['x-end-to-end']).toBe('for the service');
    expect(seen['x-hop-secret']).toBeUndefined();
    expect(seen['keep-alive']).toBeUndefined();
    expect(seen.host).toBe(new URL(services.webhooks.url).host);
  });

  test('a path that climbs out of its prefix is refused with 404 and never forwarded', async () => {
    // Over a socket: inject, like a browser, resolves `..` and `%2e%2e` before sending.
    if (!gateway.app.server.listening) await gateway.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = gateway.app.server.address() as AddressInfo;
    const before = services.notifications.seen.length;
    for (const path of [
      '/api/notifications/../admin/jobs',
      '/api/notifications/%2e%2e/admin/jobs',
      '/api/notifications/..%5cadmin',
    ]) {
      const { status, body } = await new Promise<{ status: number; body: string }>(
        (resolve, reject) => {
          const outgoing = httpRequest({
            host: '127.0.0.1',
            port,
            path,
            headers: bearer(tokenFor()),
          });
          outgoing.on('response', (incoming) => {
            let text = '';
            incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
            incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: text }));
          });
          outgoing.on('error', reject);
          outgoing.end();
        },
      );
      expect(status, path).toBe(404);
      expect(JSON.parse(body)).toEqual({ success: false, error: 'Route not found' });
    }
    expect(services.notifications.seen.length).toBe(before);
    expect(climbsOut('/api/notifications/n-1/read?next=../x')).toBe(false);
    expect(climbsOut('/api/notifications/v1.2%20beta')).toBe(false);
  });

  test('a streamed answer of many chunks arrives whole, its hop-by-hop headers removed', async () => {
    const port = await freePort();
    const chunks = Array.from({ length: 50 }, (_, index) => `chunk ${index};`);
    const streaming = createServer((_request, response) => {
      response.writeHead(200, {
        'content-type': 'text/plain',
        connection: 'keep-alive, x-upstream-hop',
        'x-upstream-hop': 'not for the client',
        'x-upstream-end-to-end': 'for the client',
      });
      let index = 0;
      const next = () => {
        if (index === chunks.length) return response.end();
        response.write(chunks[index++]);
        setImmediate(next);
      };
      next();
    });
    await new Promise<void>((resolve) => streaming.listen(port, '127.0.0.1', resolve));
    const streamed = await buildGateway({
      env: { ...services.env, WEBHOOKS_URL: `http://127.0.0.1:${port}` },
    });
    try {
      const response = await streamed.app.inject({
        method: 'GET',
        url: '/api/jobs/export',
        headers: bearer(tokenFor()),
      });
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe(chunks.join(''));
      expect(response.headers['x-upstream-end-to-end']).toBe('for the client');
      expect(response.headers['x-upstream-hop']).toBeUndefined();
      expect(response.headers['x-ratelimit-limit']).toBe('300');
      expect(response.headers['x-request-id']).toMatch(/^[\w-]{8,}$/);
    } finally {
      await streamed.close();
      await new Promise((resolve) => streaming.close(resolve));
    }
  });
});

describe('CORS without a browser', () => {
  test('an OPTIONS without Origin is answered 204 by the gateway, without a token', async () => {
    const response = await gateway.app.inject({ method: 'OPTIONS', url: '/api/jobs' });
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});
