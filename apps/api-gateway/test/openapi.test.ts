import { freePort } from '@conveyor/test-harness/ports';
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

interface Document {
  info: { description: string };
  paths: Record<
    string,
    { get?: { tags: string[]; responses: Record<string, unknown>; operationId: string } }
  >;
  components: {
    schemas: Record<string, { description?: string }>;
    securitySchemes: Record<string, unknown>;
  };
  'x-conveyor-unavailable'?: { service: string }[];
}

describe('OpenAPI', () => {
  test('the merged document holds the paths of every service and the gateway’s auth and rate limits', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json<Document>();
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/admin/jobs',
      '/api/jobs',
      '/api/notifications',
      '/api/webhooks',
    ]);
    expect(document.paths['/api/notifications']!.get!.tags).toEqual(['notifications']);
    expect(Object.keys(document.paths['/api/jobs']!.get!.responses)).toEqual(
      expect.arrayContaining(['200', '401', '429']),
    );
    expect(document.components.securitySchemes).toHaveProperty('bearerAuth');
    expect(document.info.description).toContain('`GET /api/notifications/unread-count` | 200');
    expect(document.info.description).toContain('X-RateLimit-Reset');
    expect(document.info.description).toContain('`POST /api/admin/jobs/bulk/retry` | 10');
    expect(document.info.description).toContain('`POST /api/admin/jobs/bulk/cancel` | 10');
    expect(document.info.description).toContain('/api/admin/jobs/stream');
    expect(document['x-conveyor-unavailable']).toBeUndefined();
  });

  test('components two services name alike but define differently are both kept, references rewritten', async () => {
    const document = (
      await gateway.app.inject({ method: 'GET', url: '/api/openapi.json' })
    ).json<Document>();
    expect(document.components.schemas.Item?.description).toBe('an item of notifications');
    expect(document.components.schemas['admin-jobs.Item']?.description).toBe(
      'an item of admin-jobs',
    );
    expect(JSON.stringify(document.paths['/api/admin/jobs'])).toContain(
      '#/components/schemas/admin-jobs.Item',
    );
    expect(JSON.stringify(document.paths['/api/notifications'])).toContain(
      '#/components/schemas/Item"',
    );
  });

  test('each service’s own document is served through the gateway', async () => {
    for (const [name, path] of [
      ['notifications', '/api/notifications'],
      ['admin-jobs', '/api/admin/jobs'],
      ['webhooks', '/api/webhooks'],
    ] as const) {
      const response = await gateway.app.inject({
        method: 'GET',
        url: `/api/openapi/${name}.json`,
      });
      expect(response.statusCode).toBe(200);
      expect(response.json<Document>().paths).toHaveProperty([path]);
    }
  });

  test('with a service down the merged document still answers with the others and names the missing one', async () => {
    const partial = await buildGateway({
      env: { ...services.env, WEBHOOKS_URL: `http://127.0.0.1:${await freePort()}` },
    });
    try {
      const response = await partial.app.inject({ method: 'GET', url: '/api/openapi.json' });
      expect(response.statusCode).toBe(200);
      const document = response.json<Document>();
      expect(Object.keys(document.paths).sort()).toEqual(['/api/admin/jobs', '/api/notifications']);
      expect(document['x-conveyor-unavailable']).toEqual([
        { service: 'webhooks', problem: expect.any(String) },
      ]);
      expect(document.info.description).toContain('webhooks');
      const own = await partial.app.inject({ method: 'GET', url: '/api/openapi/webhooks.json' });
      expect(own.statusCode).toBe(502);
      expect(own.json()).toMatchObject({ success: false, error: 'Upstream service unavailable' });
    } finally {
      await partial.close();
    }
  });

  test('the docs UI is served at /api/docs and reads the merged document', async () => {
    const page = await gateway.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('/api/openapi.json');
    const script = await gateway.app.inject({ method: 'GET', url: '/api/docs/js/scalar.js' });
    expect(script.statusCode).toBe(200);
  });
});
