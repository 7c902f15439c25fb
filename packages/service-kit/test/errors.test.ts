import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDeps, type TestDeps } from '../src/testing.js';
import { buildFixtureApp, loadFixtureConfig, type FixtureConfig } from './fixture.js';

let deps: TestDeps<FixtureConfig>;
let app: Awaited<ReturnType<typeof buildFixtureApp>>;

beforeAll(async () => {
  deps = await createTestDeps(loadFixtureConfig, { BODY_LIMIT_BYTES: '2048' });
  app = await buildFixtureApp(deps);
});
afterAll(async () => {
  await app.close();
  await deps.cleanup();
});

describe('the error envelope', () => {
  it('answers an invalid query with 400 Invalid query parameters and the issues', async () => {
    const response = await app.inject({ url: '/api/items?page=0' });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.success).toBe(false);
    expect(body.error).toBe('Invalid query parameters');
    expect(body.details[0].path).toBe('page');
  });

  it('answers an invalid body with 400 Invalid request body and the issues', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/items',
      payload: { title: '' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ success: false, error: 'Invalid request body' });
    expect(response.json().details[0].path).toBe('title');
  });

  it('answers malformed JSON with 400 Invalid request body', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/items',
      headers: { 'content-type': 'application/json' },
      payload: '{"title":',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ success: false, error: 'Invalid request body' });
  });

  it('answers a body over the limit with 413', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/items',
      payload: { title: 'x'.repeat(4096) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ success: false, error: 'Request body too large' });
  });

  it('passes a client error through with its own text', async () => {
    const response = await app.inject({ url: '/api/missing' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ success: false, error: 'Item not found' });
  });

  it('hides the message of an unexpected error behind 500 Internal server error', async () => {
    const response = await app.inject({ url: '/api/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ success: false, error: 'Internal server error' });
    expect(response.body).not.toContain('secret internal detail');
  });

  it('answers 503 when a store is unreachable', async () => {
    const response = await app.inject({ url: '/api/redis-down' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ success: false, error: 'Service temporarily unavailable' });
  });

  it('answers an unknown route with 404 in the envelope', async () => {
    const response = await app.inject({ url: '/api/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ success: false, error: 'Route not found' });
  });

  it('carries the caller request id back, or makes one', async () => {
    const given = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'req-123' } });
    expect(given.headers['x-request-id']).toBe('req-123');
    const made = await app.inject({
      url: '/healthz',
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('health, readiness and metrics', () => {
  it('answers /healthz and /readyz while Redis and PostgreSQL answer', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: 'up', redis: 'up' } });
  });

  it('serves Prometheus metrics including request durations', async () => {
    await app.inject({ url: '/healthz' });
    const response = await app.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('http_request_duration_seconds_bucket');
    expect(response.body).toContain('process_cpu_user_seconds_total');
  });

  it('serves its OpenAPI document with the routes and without the health routes', async () => {
    const document = (await app.inject({ url: '/openapi.json' })).json();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toContain('/api/items');
    expect(Object.keys(document.paths)).not.toContain('/healthz');
  });
});
