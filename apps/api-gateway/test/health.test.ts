import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildGateway, type TestGateway } from './helpers/gateway.js';
import { startFakeServices } from './helpers/upstream.js';

let services: Awaited<ReturnType<typeof startFakeServices>>;
let gateway: TestGateway;

beforeAll(async () => {
  services = await startFakeServices();
  gateway = await buildGateway({ env: services.env });
});

afterAll(async () => {
  await gateway?.close();
  await services?.close();
});

describe('health', () => {
  test('/healthz answers while the process is alive', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.json()).toEqual({ status: 'ok' });
  });

  test('/readyz is ready with Redis up and reports every upstream', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'ready',
      checks: { redis: 'up' },
      upstreams: { notifications: 'up', 'admin-jobs': 'up', webhooks: 'up' },
    });
  });

  test('/readyz stays ready with a service down, and says which one is down', async () => {
    await services.webhooks.close();
    const response = await gateway.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'ready',
      upstreams: { webhooks: 'down', notifications: 'up' },
    });
  });

  test('/metrics serves Prometheus text with the request histogram', async () => {
    await gateway.app.inject({ method: 'GET', url: '/healthz' });
    const response = await gateway.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain('http_request_duration_seconds');
  });
});
