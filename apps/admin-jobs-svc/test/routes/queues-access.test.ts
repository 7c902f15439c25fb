import { QueueName } from '@conveyor/queue-contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, as, startAdminApp, type AdminTestApp } from '../helpers/admin-app.js';

let t: AdminTestApp;

beforeAll(async () => {
  t = await startAdminApp();
});
afterAll(async () => {
  await t.close();
});

const queue = QueueName.mediaPreview;

/** Every route of the queue, stats and audit plugins, with a request it would otherwise take. */
const routes: { method: 'GET' | 'POST'; url: string; body?: unknown }[] = [
  { method: 'GET', url: '/api/admin/jobs/notifications/stats' },
  { method: 'POST', url: `/api/admin/jobs/${queue}/1/retry` },
  { method: 'GET', url: '/api/admin/jobs/audit' },
  { method: 'GET', url: '/api/admin/jobs/queues' },
  { method: 'GET', url: `/api/admin/jobs/queues/${queue}` },
  { method: 'POST', url: `/api/admin/jobs/queues/${queue}/pause` },
  { method: 'POST', url: `/api/admin/jobs/queues/${queue}/resume` },
  {
    method: 'POST',
    url: `/api/admin/jobs/queues/${queue}/clean`,
    body: { state: 'completed', olderThanSeconds: 0 },
  },
  { method: 'GET', url: '/api/admin/jobs/schedulers' },
  { method: 'POST', url: `/api/admin/jobs/schedulers/${queue}/any/trigger` },
];

const send = (client: ReturnType<typeof anonymous>, route: (typeof routes)[number]) =>
  route.method === 'GET' ? client.get(route.url) : client.post(route.url, route.body);

describe.each(routes)('$method $url', (route) => {
  it('answers 401 Unauthorized without a token', async () => {
    const response = await send(anonymous(t.app), route);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toStrictEqual({ success: false, error: 'Unauthorized' });
  });

  it('answers 403 Forbidden to a CREATOR', async () => {
    const response = await send(as(t.app, 'creator-1', 'CREATOR'), route);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toStrictEqual({
      success: false,
      error: 'Forbidden: Admin access required',
    });
  });
});

describe('the OpenAPI document', () => {
  it('lists every route with its 401 and 403', async () => {
    const document = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    for (const route of routes) {
      const path = route.url
        .replace(`/${queue}/1/`, '/{queueName}/{jobId}/')
        .replace(`/schedulers/${queue}/any/`, '/schedulers/{queueName}/{schedulerId}/')
        .replace(`/${queue}`, '/{queueName}');
      const operation = document.paths[path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${path}`).toBeDefined();
      expect(Object.keys(operation!.responses)).toEqual(
        expect.arrayContaining(['200', '401', '403']),
      );
    }
  });
});

describe('refused requests', () => {
  it('leave the queue running and the audit trail empty', async () => {
    expect(await t.queue(queue).isPaused()).toBe(false);
    const audit = await as(t.app, 'root').get('/api/admin/jobs/audit');
    expect(audit.json()).toMatchObject({ data: [], pagination: { total: 0 } });
  });
});
