import { webhookEndpoints } from '@conveyor/db/schema';
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startApp, type TestApp } from '../../helpers/app.js';
import { createWebhook, PUBLIC_URL, seedEndpoint } from '../../helpers/webhooks.js';

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t.close();
});

const create = (app: TestApp['app'], user: string) =>
  as(app, user).post('/api/webhooks', { url: PUBLIC_URL, eventType: 'all' });

const stored = async (app: TestApp, ownerId: string) =>
  (
    await app.deps.db.db
      .select({ total: count() })
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.ownerId, ownerId), eq(webhookEndpoints.legacy, false)))
  )[0]?.total;

describe('WEBHOOK_MAX_ENDPOINTS_PER_USER', () => {
  it('lets exactly 20 of 25 concurrent creations through, and refuses the rest with 409', async () => {
    expect(t.deps.config.WEBHOOK_MAX_ENDPOINTS_PER_USER).toBe(20);
    const responses = await Promise.all(Array.from({ length: 25 }, () => create(t.app, 'ray')));
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 201)).toHaveLength(20);
    expect(statuses.filter((status) => status === 409)).toHaveLength(5);
    for (const response of responses.filter((answer) => answer.statusCode === 409)) {
      expect(response.json()).toStrictEqual({ success: false, error: 'Webhook limit reached' });
    }
    expect(await stored(t, 'ray')).toBe(20);
    expect((await as(t.app, 'ray').get('/api/webhooks')).json().data.webhooks).toHaveLength(20);
  });

  it('counts each user on their own, and not the legacy webhook', async () => {
    const small = await startApp({ WEBHOOK_MAX_ENDPOINTS_PER_USER: '2' });
    try {
      await seedEndpoint(small, 'sue', { legacy: true });
      await createWebhook(small.app, 'sue');
      const { webhook } = await createWebhook(small.app, 'sue');
      const refused = await create(small.app, 'sue');
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toStrictEqual({ success: false, error: 'Webhook limit reached' });
      expect((await create(small.app, 'tom')).statusCode).toBe(201);

      // Deleting one makes room again.
      await as(small.app, 'sue').delete(`/api/webhooks/${webhook.id}`);
      expect((await create(small.app, 'sue')).statusCode).toBe(201);
      expect(await stored(small, 'sue')).toBe(2);
    } finally {
      await small.close();
    }
  });
});
