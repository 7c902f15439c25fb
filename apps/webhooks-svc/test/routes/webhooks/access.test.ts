import { webhookDeliveries } from '@conveyor/db/schema';
import { bearer, testToken } from '@conveyor/service-kit/testing';
import { eq } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startApp, type TestApp } from '../../helpers/app.js';
import {
  createWebhook,
  deliveryRow,
  endpointRow,
  PUBLIC_URL,
  seedDelivery,
  type WebhookBody,
} from '../../helpers/webhooks.js';

let t: TestApp;
let alices: { webhook: WebhookBody; secret: string };
let alicesDelivery: { id: number };
let bobs: { webhook: WebhookBody; secret: string };

beforeAll(async () => {
  t = await startApp();
  alices = await createWebhook(t.app, 'alice', { eventType: 'completed', description: 'mine' });
  alicesDelivery = await seedDelivery(t, 'alice', alices.webhook.id, { state: 'failed' });
  bobs = await createWebhook(t.app, 'bob');
});
afterAll(async () => {
  await t.close();
});

type Request = [method: NonNullable<InjectOptions['method']>, path: string, body?: object];

/** Every route that names a webhook, aimed at one of Alice's. */
const routesOn = (id: number, deliveryId: number): Request[] => [
  ['GET', `/api/webhooks/${id}`],
  ['PUT', `/api/webhooks/${id}`, { url: PUBLIC_URL, active: false }],
  ['DELETE', `/api/webhooks/${id}`],
  ['GET', `/api/webhooks/${id}/deliveries`],
  ['POST', `/api/webhooks/${id}/deliveries/${deliveryId}/resend`],
  ['POST', `/api/webhooks/${id}/rotate-secret`],
  ['POST', `/api/webhooks/${id}/test`],
];

describe('another user’s webhook', () => {
  it('answers 404 Webhook not found on every route, and nothing changes', async () => {
    for (const [method, url, body] of routesOn(alices.webhook.id, alicesDelivery.id)) {
      const response = await t.app.inject({
        method,
        url,
        headers: bearer(testToken('bob', 'VIEWER')),
        ...(body ? { payload: body } : {}),
      });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json()).toStrictEqual({ success: false, error: 'Webhook not found' });
    }
    expect(
      (await as(t.app, 'alice').get(`/api/webhooks/${alices.webhook.id}`)).json().data,
    ).toStrictEqual(alices.webhook);
    expect((await endpointRow(t, alices.webhook.id))?.secret).toBe(alices.secret);
    expect((await deliveryRow(t, alicesDelivery.id))?.state).toBe('failed');
    const deliveries = await t.deps.db.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.endpointId, alices.webhook.id));
    expect(deliveries).toHaveLength(1);
  });

  it('never appears in my list', async () => {
    const alice = (await as(t.app, 'alice').get('/api/webhooks')).json().data.webhooks;
    const bob = (await as(t.app, 'bob').get('/api/webhooks')).json().data.webhooks;
    expect(alice).toStrictEqual([alices.webhook]);
    expect(bob).toStrictEqual([bobs.webhook]);
  });
});

describe('without a token', () => {
  it('answers 401 Unauthorized on every route', async () => {
    const requests: Request[] = [
      ['GET', '/api/webhooks'],
      ['POST', '/api/webhooks', { url: PUBLIC_URL, eventType: 'all' }],
      ...routesOn(alices.webhook.id, alicesDelivery.id),
    ];
    for (const [method, url, body] of requests) {
      const response = await t.app.inject({ method, url, ...(body ? { payload: body } : {}) });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
      expect(response.json()).toStrictEqual({ success: false, error: 'Unauthorized' });
    }
  });
});
