import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startApp, type ErrorBody, type TestApp } from '../../helpers/app.js';
import {
  createWebhook,
  endpointRow,
  PUBLIC_URL,
  SECRET_PATTERN,
  seedDelivery,
  seedEndpoint,
  type WebhookBody,
} from '../../helpers/webhooks.js';

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t.close();
});

const isoNow = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

describe('POST /api/webhooks', () => {
  it('answers 201 with the webhook and its secret, shown this once', async () => {
    const response = await as(t.app, 'carla').post('/api/webhooks', {
      url: 'https://93.184.216.34/job-webhook',
      eventType: 'completed',
      description: 'Job completion webhook',
    });
    expect(response.statusCode).toBe(201);
    const body = response.json<{ data: { webhook: WebhookBody; secret: string } }>();
    expect(body).toStrictEqual({
      success: true,
      data: {
        webhook: {
          id: expect.any(Number),
          url: 'https://93.184.216.34/job-webhook',
          eventType: 'completed',
          description: 'Job completion webhook',
          active: true,
          disabledReason: null,
          failingSince: null,
          createdAt: isoNow,
          updatedAt: isoNow,
        },
        secret: expect.stringMatching(SECRET_PATTERN),
      },
    });
    const row = await endpointRow(t, body.data.webhook.id);
    expect(row).toMatchObject({ ownerId: 'carla', secret: body.data.secret, legacy: false });
  });

  it('gives every webhook a secret of its own', async () => {
    const made = await Promise.all(
      Array.from({ length: 5 }, () => createWebhook(t.app, 'dora', { eventType: 'failed' })),
    );
    const secrets = made.map(({ secret }) => secret);
    for (const secret of secrets) expect(secret).toMatch(SECRET_PATTERN);
    expect(new Set(secrets).size).toBe(secrets.length);
  });

  it('stores no description when none is given', async () => {
    const { webhook } = await createWebhook(t.app, 'dora', { eventType: 'progress' });
    expect(webhook.description).toBeNull();
  });

  it.each([
    ['no body', undefined],
    ['no url', { eventType: 'all' }],
    ['no event type', { url: PUBLIC_URL }],
    ['an unknown event type', { url: PUBLIC_URL, eventType: 'started' }],
    ['a url that is not one', { url: 'not a url', eventType: 'all' }],
    [
      'a url over 2000 characters',
      { url: `${PUBLIC_URL}?q=${'x'.repeat(2000)}`, eventType: 'all' },
    ],
    [
      'a description over 500 characters',
      { url: PUBLIC_URL, eventType: 'all', description: 'd'.repeat(501) },
    ],
    ['a null description', { url: PUBLIC_URL, eventType: 'all', description: null }],
    ['an unknown field', { url: PUBLIC_URL, eventType: 'all', secret: 'whsec_mine' }],
    ['active on creation', { url: PUBLIC_URL, eventType: 'all', active: false }],
  ])('answers 400 Invalid request body with details for %s', async (_case, body) => {
    const response = await as(t.app, 'erin').post('/api/webhooks', body);
    expect(response.statusCode).toBe(400);
    const error = response.json<ErrorBody>();
    expect(error).toMatchObject({ success: false, error: 'Invalid request body' });
    expect(error.details).toEqual(
      expect.arrayContaining([{ path: expect.any(String), message: expect.any(String) }]),
    );
  });

  it('stores nothing for a refused body', async () => {
    await as(t.app, 'erin').post('/api/webhooks', { url: 'http://127.0.0.1/', eventType: 'all' });
    expect((await as(t.app, 'erin').get('/api/webhooks')).json().data.webhooks).toEqual([]);
  });

  it('answers 401 without a token', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/webhooks',
      payload: { url: PUBLIC_URL, eventType: 'all' },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toStrictEqual({ success: false, error: 'Unauthorized' });
  });
});

describe('GET /api/webhooks', () => {
  it('lists my webhooks newest first, without secrets, and nobody else’s', async () => {
    const first = await createWebhook(t.app, 'fay', { eventType: 'completed' });
    const second = await createWebhook(t.app, 'fay', { eventType: 'failed', description: 'b' });
    await createWebhook(t.app, 'gus');
    const response = await as(t.app, 'fay').get('/api/webhooks');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({
      success: true,
      data: { webhooks: [second.webhook, first.webhook] },
    });
    expect(response.body).not.toContain('whsec_');
  });

  it('never lists the legacy webhook, which the worker keeps for users.webhook_url', async () => {
    await seedEndpoint(t, 'hana', { legacy: true, eventType: 'completed' });
    const own = await createWebhook(t.app, 'hana');
    const body = (await as(t.app, 'hana').get('/api/webhooks')).json();
    expect(body.data.webhooks).toStrictEqual([own.webhook]);
  });

  it('answers an empty list to a user without webhooks', async () => {
    const response = await as(t.app, 'ivan').get('/api/webhooks');
    expect(response.json()).toStrictEqual({ success: true, data: { webhooks: [] } });
  });

  it('answers 401 without a token', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/webhooks' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toStrictEqual({ success: false, error: 'Unauthorized' });
  });
});

describe('GET /api/webhooks/:id', () => {
  it('answers the webhook without its secret', async () => {
    const { webhook } = await createWebhook(t.app, 'jon');
    const response = await as(t.app, 'jon').get(`/api/webhooks/${webhook.id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({ success: true, data: webhook });
    expect(response.body).not.toContain('whsec_');
  });

  it('shows why and since when the platform turned a webhook off', async () => {
    const failingSince = new Date(Date.UTC(2025, 5, 1));
    const id = await seedEndpoint(t, 'jon', {
      active: false,
      disabledReason: 'failing',
      disabledAt: new Date(),
      failingSince,
    });
    const body = (await as(t.app, 'jon').get(`/api/webhooks/${id}`)).json();
    expect(body.data).toMatchObject({
      active: false,
      disabledReason: 'failing',
      failingSince: failingSince.toISOString(),
    });
  });

  it('answers 404 Webhook not found alike for missing, malformed, foreign and legacy ids', async () => {
    const foreign = await createWebhook(t.app, 'kim');
    const legacy = await seedEndpoint(t, 'jon', { legacy: true });
    const ids = ['999999', 'abc', '0', '-1', '1.5', '01', '1e3', '99999999999999999999'];
    for (const id of [...ids, String(foreign.webhook.id), String(legacy)]) {
      const response = await as(t.app, 'jon').get(`/api/webhooks/${id}`);
      expect(response.statusCode, id).toBe(404);
      expect(response.json()).toStrictEqual({ success: false, error: 'Webhook not found' });
    }
  });
});

describe('PUT /api/webhooks/:id', () => {
  it('changes the fields given and keeps the others', async () => {
    const { webhook } = await createWebhook(t.app, 'lea', {
      eventType: 'completed',
      description: 'before',
    });
    const response = await as(t.app, 'lea').put(`/api/webhooks/${webhook.id}`, {
      eventType: 'all',
    });
    expect(response.statusCode).toBe(200);
    const updated = response.json<{ data: WebhookBody }>().data;
    expect(updated).toStrictEqual({ ...webhook, eventType: 'all', updatedAt: isoNow });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(webhook.updatedAt));
    expect(response.body).not.toContain('whsec_');
  });

  it('takes spec 004’s full update: url, event type, description and active', async () => {
    const { webhook } = await createWebhook(t.app, 'lea');
    const response = await as(t.app, 'lea').put(`/api/webhooks/${webhook.id}`, {
      url: 'https://93.184.216.34/new-webhook',
      eventType: 'failed',
      description: 'Updated webhook',
      active: false,
    });
    expect(response.json().data).toMatchObject({
      url: 'https://93.184.216.34/new-webhook',
      eventType: 'failed',
      description: 'Updated webhook',
      active: false,
      disabledReason: null,
    });
  });

  it('removes the description with null', async () => {
    const { webhook } = await createWebhook(t.app, 'lea', { description: 'gone soon' });
    const response = await as(t.app, 'lea').put(`/api/webhooks/${webhook.id}`, {
      description: null,
    });
    expect(response.json().data.description).toBeNull();
  });

  it('keeps the secret', async () => {
    const { webhook, secret } = await createWebhook(t.app, 'lea');
    await as(t.app, 'lea').put(`/api/webhooks/${webhook.id}`, { description: 'x' });
    expect((await endpointRow(t, webhook.id))?.secret).toBe(secret);
  });

  it.each([
    ['an empty body', {}],
    ['an unknown field', { secret: 'x' }],
    ['a legacy flag', { legacy: true }],
    ['an unknown event type', { eventType: 'any' }],
    ['a non-boolean active', { active: 'yes' }],
    ['a description over 500 characters', { description: 'd'.repeat(501) }],
    ['a url that is not one', { url: 'example' }],
    ['a refused url', { url: 'http://10.0.0.1/hook' }],
  ])(
    'answers 400 Invalid request body with details for %s and changes nothing',
    async (_case, body) => {
      const { webhook } = await createWebhook(t.app, 'mia');
      const response = await as(t.app, 'mia').put(`/api/webhooks/${webhook.id}`, body);
      expect(response.statusCode).toBe(400);
      const error = response.json<ErrorBody>();
      expect(error.error).toBe('Invalid request body');
      expect(error.details?.length).toBeGreaterThan(0);
      expect((await as(t.app, 'mia').get(`/api/webhooks/${webhook.id}`)).json().data).toStrictEqual(
        webhook,
      );
    },
  );

  it('answers 404 Webhook not found for missing, malformed, foreign and legacy ids', async () => {
    const foreign = await createWebhook(t.app, 'kim');
    const legacy = await seedEndpoint(t, 'mia', { legacy: true });
    for (const id of ['424242', 'x', String(foreign.webhook.id), String(legacy)]) {
      const response = await as(t.app, 'mia').put(`/api/webhooks/${id}`, { active: false });
      expect(response.statusCode, id).toBe(404);
      expect(response.json()).toStrictEqual({ success: false, error: 'Webhook not found' });
    }
    expect((await endpointRow(t, foreign.webhook.id))?.active).toBe(true);
    expect((await endpointRow(t, legacy))?.active).toBe(true);
  });
});

describe('DELETE /api/webhooks/:id', () => {
  it('deletes the webhook and its deliveries', async () => {
    const { webhook } = await createWebhook(t.app, 'ned');
    const delivery = await seedDelivery(t, 'ned', webhook.id, { attempts: 2, state: 'failed' });
    const response = await as(t.app, 'ned').delete(`/api/webhooks/${webhook.id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({ success: true });
    expect(await endpointRow(t, webhook.id)).toBeUndefined();
    const gone = await t.deps.db.sql`select 1 from webhook_deliveries where id = ${delivery.id}`;
    expect(gone).toHaveLength(0);
    const again = await as(t.app, 'ned').delete(`/api/webhooks/${webhook.id}`);
    expect(again.statusCode).toBe(404);
  });

  it('answers 404 Webhook not found for missing, malformed, foreign and legacy ids', async () => {
    const foreign = await createWebhook(t.app, 'kim');
    const legacy = await seedEndpoint(t, 'ned', { legacy: true });
    for (const id of ['424242', 'x', String(foreign.webhook.id), String(legacy)]) {
      const response = await as(t.app, 'ned').delete(`/api/webhooks/${id}`);
      expect(response.statusCode, id).toBe(404);
      expect(response.json()).toStrictEqual({ success: false, error: 'Webhook not found' });
    }
    expect(await endpointRow(t, foreign.webhook.id)).toBeDefined();
    expect(await endpointRow(t, legacy)).toBeDefined();
  });
});
