import { webhookDeliveries, webhookMessages } from '@conveyor/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startApp, type TestApp } from '../../helpers/app.js';
import {
  createWebhook,
  endpointRow,
  SECRET_PATTERN,
  seedEndpoint,
  type DeliveriesBody,
} from '../../helpers/webhooks.js';

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t.close();
});

const HOUR = 3_600_000;

describe('POST /api/webhooks/:id/rotate-secret', () => {
  it('answers a new secret and keeps the old one signing for 24 hours', async () => {
    const { webhook, secret: original } = await createWebhook(t.app, 'amy');
    const before = Date.now();
    const response = await as(t.app, 'amy').post(`/api/webhooks/${webhook.id}/rotate-secret`);
    expect(response.statusCode).toBe(200);
    const body = response.json<{ data: { secret: string; previousSecretExpiresAt: string } }>();
    expect(body).toStrictEqual({
      success: true,
      data: {
        secret: expect.stringMatching(SECRET_PATTERN),
        previousSecretExpiresAt: expect.any(String),
      },
    });
    expect(body.data.secret).not.toBe(original);
    const expiresAt = Date.parse(body.data.previousSecretExpiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 24 * HOUR - 5_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 24 * HOUR + 5_000);

    const row = await endpointRow(t, webhook.id);
    expect(row).toMatchObject({ secret: body.data.secret, previousSecret: original });
    expect(row?.previousSecretExpiresAt?.toISOString()).toBe(body.data.previousSecretExpiresAt);
  });

  it('never shows the new secret anywhere else', async () => {
    const { webhook } = await createWebhook(t.app, 'amy');
    const rotated = await as(t.app, 'amy').post(`/api/webhooks/${webhook.id}/rotate-secret`);
    const secret = rotated.json<{ data: { secret: string } }>().data.secret;
    for (const url of ['/api/webhooks', `/api/webhooks/${webhook.id}`]) {
      expect((await as(t.app, 'amy').get(url)).body).not.toContain(secret);
    }
  });

  it('makes the replaced secret the previous one on a second rotation', async () => {
    const { webhook } = await createWebhook(t.app, 'amy');
    const rotate = async () =>
      (await as(t.app, 'amy').post(`/api/webhooks/${webhook.id}/rotate-secret`)).json<{
        data: { secret: string };
      }>().data.secret;
    const second = await rotate();
    const third = await rotate();
    expect(await endpointRow(t, webhook.id)).toMatchObject({
      secret: third,
      previousSecret: second,
    });
  });

  it('uses WEBHOOK_SECRET_GRACE_HOURS', async () => {
    const short = await startApp({ WEBHOOK_SECRET_GRACE_HOURS: '1' });
    try {
      const { webhook } = await createWebhook(short.app, 'bo');
      const response = await as(short.app, 'bo').post(`/api/webhooks/${webhook.id}/rotate-secret`);
      const expiresAt = Date.parse(response.json().data.previousSecretExpiresAt);
      expect(Math.abs(expiresAt - (Date.now() + HOUR))).toBeLessThan(5_000);
    } finally {
      await short.close();
    }
  });

  it('answers 404 Webhook not found for missing, malformed, foreign and legacy ids', async () => {
    const foreign = await createWebhook(t.app, 'cy');
    const legacy = await seedEndpoint(t, 'amy', { legacy: true });
    for (const id of ['55555', 'x', String(foreign.webhook.id), String(legacy)]) {
      const response = await as(t.app, 'amy').post(`/api/webhooks/${id}/rotate-secret`);
      expect(response.statusCode, id).toBe(404);
      expect(response.json()).toStrictEqual({ success: false, error: 'Webhook not found' });
    }
    expect((await endpointRow(t, foreign.webhook.id))?.secret).toBe(foreign.secret);
  });
});

describe('POST /api/webhooks/:id/test', () => {
  it('queues one pending delivery of a `test` message to that webhook alone', async () => {
    const { webhook } = await createWebhook(t.app, 'dee', { eventType: 'completed' });
    const other = await createWebhook(t.app, 'dee', { eventType: 'all' });
    const response = await as(t.app, 'dee').post(`/api/webhooks/${webhook.id}/test`);
    expect(response.statusCode).toBe(202);
    const body = response.json<{ data: { deliveryId: number; webhookId: string } }>();
    expect(body).toStrictEqual({
      success: true,
      data: { deliveryId: expect.any(Number), webhookId: expect.stringMatching(/^msg_/) },
    });

    const deliveries = await t.deps.db.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.messageId, body.data.webhookId));
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({
      id: body.data.deliveryId,
      endpointId: webhook.id,
      state: 'pending',
      attemptCount: 0,
    });
    const [message] = await t.deps.db.db
      .select()
      .from(webhookMessages)
      .where(eq(webhookMessages.id, body.data.webhookId));
    expect(message).toMatchObject({ ownerId: 'dee', eventType: 'test', jobId: null });
    expect(JSON.parse(message!.body)).toMatchObject({
      id: body.data.webhookId,
      userId: 'dee',
      eventType: 'test',
    });

    const listed = (
      await as(t.app, 'dee').get(`/api/webhooks/${webhook.id}/deliveries`)
    ).json<DeliveriesBody>();
    expect(listed.data.deliveries).toMatchObject([
      { id: body.data.deliveryId, webhookId: body.data.webhookId, eventType: 'test' },
    ]);
    const elsewhere = (
      await as(t.app, 'dee').get(`/api/webhooks/${other.webhook.id}/deliveries`)
    ).json<DeliveriesBody>();
    expect(elsewhere.data.deliveries).toEqual([]);
  });

  it('answers 409 Webhook is disabled for an inactive webhook and queues nothing', async () => {
    const { webhook } = await createWebhook(t.app, 'eve');
    await as(t.app, 'eve').put(`/api/webhooks/${webhook.id}`, { active: false });
    const response = await as(t.app, 'eve').post(`/api/webhooks/${webhook.id}/test`);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toStrictEqual({ success: false, error: 'Webhook is disabled' });
    const rows = await t.deps.db.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.endpointId, webhook.id));
    expect(rows).toEqual([]);
  });

  it('answers 404 Webhook not found for missing, malformed, foreign and legacy ids', async () => {
    const foreign = await createWebhook(t.app, 'fin');
    const legacy = await seedEndpoint(t, 'eve', { legacy: true });
    for (const id of ['66666', 'x', String(foreign.webhook.id), String(legacy)]) {
      const response = await as(t.app, 'eve').post(`/api/webhooks/${id}/test`);
      expect(response.statusCode, id).toBe(404);
      expect(response.json()).toStrictEqual({ success: false, error: 'Webhook not found' });
    }
  });
});
