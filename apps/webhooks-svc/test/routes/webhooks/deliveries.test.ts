import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startApp, type ErrorBody, type TestApp } from '../../helpers/app.js';
import {
  createWebhook,
  deliveryRow,
  seedDelivery,
  seedEndpoint,
  type DeliveriesBody,
  type DeliveryBody,
} from '../../helpers/webhooks.js';

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t.close();
});

const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

const deliveriesOf = (user: string, id: number | string, query = '') =>
  as(t.app, user).get(`/api/webhooks/${id}/deliveries${query}`);

const resend = (user: string, id: number | string, deliveryId: number | string) =>
  as(t.app, user).post(`/api/webhooks/${id}/deliveries/${deliveryId}/resend`);

describe('GET /api/webhooks/:id/deliveries', () => {
  it('answers each delivery with its message, state and attempts', async () => {
    const { webhook } = await createWebhook(t.app, 'ada');
    const seeded = await seedDelivery(t, 'ada', webhook.id, {
      state: 'failed',
      eventType: 'failed',
      jobId: 'job-1',
      attempts: 2,
      lastStatus: 500,
      lastError: 'HTTP 500',
    });
    const response = await deliveriesOf('ada', webhook.id);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({
      success: true,
      data: {
        deliveries: [
          {
            id: seeded.id,
            webhookId: seeded.messageId,
            eventType: 'failed',
            jobId: 'job-1',
            state: 'failed',
            attemptCount: 2,
            nextAttemptAt: null,
            lastStatus: 500,
            lastError: 'HTTP 500',
            createdAt: iso,
            updatedAt: iso,
            attempts: [
              {
                attemptNumber: 1,
                requestedAt: '2025-01-01T00:00:00.000Z',
                statusCode: 500,
                errorClass: 'http_status',
                durationMs: 10,
                responseBody: 'failure 1',
                nextAttemptAt: '2025-01-01T00:01:00.000Z',
              },
              {
                attemptNumber: 2,
                requestedAt: '2025-01-01T00:01:00.000Z',
                statusCode: 500,
                errorClass: 'http_status',
                durationMs: 11,
                responseBody: 'failure 2',
                nextAttemptAt: null,
              },
            ],
          },
        ],
        pagination: { total: 1, page: 1, limit: 20, pages: 1 },
      },
    });
  });

  it('shows when a pending delivery is due, and no attempts before the first', async () => {
    const { webhook } = await createWebhook(t.app, 'ada');
    await seedDelivery(t, 'ada', webhook.id, { state: 'pending', eventType: 'test', jobId: null });
    const [delivery] = (await deliveriesOf('ada', webhook.id)).json<DeliveriesBody>().data
      .deliveries;
    expect(delivery).toMatchObject({
      state: 'pending',
      eventType: 'test',
      jobId: null,
      nextAttemptAt: iso,
      attempts: [],
    });
  });

  it('shows the last 20 attempts of a delivery, oldest first', async () => {
    const { webhook } = await createWebhook(t.app, 'ada');
    await seedDelivery(t, 'ada', webhook.id, { state: 'failed', attempts: 25 });
    const [delivery] = (await deliveriesOf('ada', webhook.id)).json<DeliveriesBody>().data
      .deliveries;
    expect(delivery!.attemptCount).toBe(25);
    expect(delivery!.attempts.map((attempt) => attempt.attemptNumber)).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 6),
    );
  });

  it('pages newest first, filters by state, and counts the filtered list', async () => {
    const { webhook } = await createWebhook(t.app, 'bea');
    const states = ['succeeded', 'failed', 'pending', 'succeeded', 'sending'] as const;
    const ids: number[] = [];
    for (const [index, state] of [...states, ...states].entries()) {
      ids.push((await seedDelivery(t, 'bea', webhook.id, { state, attempts: index % 3 })).id);
    }
    const newestFirst = [...ids].reverse();
    const page = async (query: string) =>
      (await deliveriesOf('bea', webhook.id, query)).json<DeliveriesBody>().data;

    const first = await page('?limit=4');
    expect(first.deliveries.map((delivery) => delivery.id)).toEqual(newestFirst.slice(0, 4));
    expect(first.pagination).toEqual({ total: 10, page: 1, limit: 4, pages: 3 });
    const last = await page('?limit=4&page=3');
    expect(last.deliveries.map((delivery) => delivery.id)).toEqual(newestFirst.slice(8));
    expect(last.pagination).toEqual({ total: 10, page: 3, limit: 4, pages: 3 });
    const beyond = await page('?limit=4&page=9');
    expect(beyond).toEqual({
      deliveries: [],
      pagination: { total: 10, page: 9, limit: 4, pages: 3 },
    });

    const succeeded = await page('?state=succeeded&limit=3');
    expect(succeeded.deliveries.map((delivery) => delivery.state)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(succeeded.pagination).toEqual({ total: 4, page: 1, limit: 3, pages: 2 });
    // Each delivery carries its own attempts, however the page is cut.
    for (const delivery of first.deliveries) {
      expect(delivery.attempts).toHaveLength(delivery.attemptCount);
    }
  });

  it('lists only the deliveries of that webhook', async () => {
    const one = await createWebhook(t.app, 'cai');
    const two = await createWebhook(t.app, 'cai');
    const mine = await seedDelivery(t, 'cai', one.webhook.id);
    await seedDelivery(t, 'cai', two.webhook.id);
    const body = (await deliveriesOf('cai', one.webhook.id)).json<DeliveriesBody>();
    expect(body.data.deliveries.map((delivery) => delivery.id)).toEqual([mine.id]);
  });

  it.each([
    ['a page of 0', '?page=0'],
    ['a limit over 100', '?limit=101'],
    ['a limit of 0', '?limit=0'],
    ['an unknown state', '?state=queued'],
    ['a page that is not a number', '?page=two'],
  ])('answers 400 Invalid query parameters with details for %s', async (_case, query) => {
    const { webhook } = await createWebhook(t.app, 'dan');
    const response = await deliveriesOf('dan', webhook.id, query);
    expect(response.statusCode).toBe(400);
    const body = response.json<ErrorBody>();
    expect(body.error).toBe('Invalid query parameters');
    expect(body.details?.length).toBeGreaterThan(0);
  });

  it('answers 404 Webhook not found for missing, malformed, foreign and legacy ids', async () => {
    const foreign = await createWebhook(t.app, 'eli');
    const legacy = await seedEndpoint(t, 'dan', { legacy: true });
    await seedDelivery(t, 'dan', legacy);
    for (const id of ['777777', 'nope', foreign.webhook.id, legacy]) {
      const response = await deliveriesOf('dan', id);
      expect(response.statusCode, String(id)).toBe(404);
      expect(response.json()).toStrictEqual({ success: false, error: 'Webhook not found' });
    }
  });
});

describe('POST /api/webhooks/:id/deliveries/:deliveryId/resend', () => {
  it('makes a failed delivery pending and due now, with a fresh retry budget', async () => {
    const { webhook } = await createWebhook(t.app, 'fox');
    const seeded = await seedDelivery(t, 'fox', webhook.id, {
      state: 'failed',
      attempts: 4,
      lastStatus: 503,
      lastError: 'HTTP 503',
      claimedBy: 'worker-1',
      leaseUntil: new Date(Date.now() - 60_000),
    });
    const before = Date.now();
    const response = await resend('fox', webhook.id, seeded.id);
    expect(response.statusCode).toBe(202);
    const delivery = response.json<{ success: true; data: DeliveryBody }>().data;
    expect(delivery).toMatchObject({
      id: seeded.id,
      webhookId: seeded.messageId,
      state: 'pending',
      attemptCount: 4,
      lastStatus: 503,
      lastError: null,
      nextAttemptAt: iso,
    });
    expect(delivery.attempts).toHaveLength(4);
    expect(Date.parse(delivery.nextAttemptAt!)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(delivery.nextAttemptAt!)).toBeGreaterThan(before - 5_000);
    const row = await deliveryRow(t, seeded.id);
    expect(row).toMatchObject({
      state: 'pending',
      runAttempts: 0,
      attemptCount: 4,
      lastError: null,
      claimedBy: null,
      leaseUntil: null,
    });
  });

  it('resends a delivery that succeeded', async () => {
    const { webhook } = await createWebhook(t.app, 'fox');
    const seeded = await seedDelivery(t, 'fox', webhook.id, { state: 'succeeded', attempts: 1 });
    const response = await resend('fox', webhook.id, seeded.id);
    expect(response.statusCode).toBe(202);
    expect(response.json().data.state).toBe('pending');
  });

  it.each(['pending', 'sending'] as const)(
    'answers 409 Delivery in progress for a %s delivery and leaves it alone',
    async (state) => {
      const { webhook } = await createWebhook(t.app, 'gil');
      const seeded = await seedDelivery(t, 'gil', webhook.id, {
        state,
        runAttempts: 1,
        attempts: 1,
        ...(state === 'sending' ? { claimedBy: 'worker-1', leaseUntil: new Date() } : {}),
      });
      const response = await resend('gil', webhook.id, seeded.id);
      expect(response.statusCode).toBe(409);
      expect(response.json()).toStrictEqual({ success: false, error: 'Delivery in progress' });
      expect(await deliveryRow(t, seeded.id)).toMatchObject({ state, runAttempts: 1 });
    },
  );

  it('answers 409 Webhook is disabled for an inactive webhook', async () => {
    const { webhook } = await createWebhook(t.app, 'gil');
    const seeded = await seedDelivery(t, 'gil', webhook.id, { state: 'failed', attempts: 1 });
    await as(t.app, 'gil').put(`/api/webhooks/${webhook.id}`, { active: false });
    const response = await resend('gil', webhook.id, seeded.id);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toStrictEqual({ success: false, error: 'Webhook is disabled' });
    expect((await deliveryRow(t, seeded.id))?.state).toBe('failed');
  });

  it('answers 404 Delivery not found for a missing, malformed or other webhook’s delivery', async () => {
    const one = await createWebhook(t.app, 'hal');
    const two = await createWebhook(t.app, 'hal');
    const other = await seedDelivery(t, 'hal', two.webhook.id, { state: 'failed' });
    for (const deliveryId of ['888888', 'x', '0', other.id]) {
      const response = await resend('hal', one.webhook.id, deliveryId);
      expect(response.statusCode, String(deliveryId)).toBe(404);
      expect(response.json()).toStrictEqual({ success: false, error: 'Delivery not found' });
    }
    expect((await deliveryRow(t, other.id))?.state).toBe('failed');
  });

  it('answers 404 Webhook not found for a missing, malformed or foreign webhook', async () => {
    const foreign = await createWebhook(t.app, 'ivy');
    const delivery = await seedDelivery(t, 'ivy', foreign.webhook.id, { state: 'failed' });
    for (const [id, deliveryId] of [
      ['999999', delivery.id],
      ['bad', delivery.id],
      [foreign.webhook.id, delivery.id],
      [foreign.webhook.id, 'bad'],
    ] as const) {
      const response = await resend('hal', id, deliveryId);
      expect(response.statusCode, `${id}/${deliveryId}`).toBe(404);
      expect(response.json()).toStrictEqual({ success: false, error: 'Webhook not found' });
    }
    expect((await deliveryRow(t, delivery.id))?.state).toBe('failed');
  });
});

describe('turning a webhook off and on (PUT active)', () => {
  it('fails its pending deliveries with `endpoint disabled`, and leaves the others', async () => {
    const { webhook } = await createWebhook(t.app, 'joy');
    const pending = await seedDelivery(t, 'joy', webhook.id, {
      state: 'pending',
      eventType: 'progress',
      coalesceKey: 'media-preview/job-9',
    });
    const sending = await seedDelivery(t, 'joy', webhook.id, { state: 'sending' });
    const succeeded = await seedDelivery(t, 'joy', webhook.id, { state: 'succeeded' });
    const elsewhere = await createWebhook(t.app, 'joy');
    const otherPending = await seedDelivery(t, 'joy', elsewhere.webhook.id, { state: 'pending' });

    const response = await as(t.app, 'joy').put(`/api/webhooks/${webhook.id}`, { active: false });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({ active: false, disabledReason: null });
    expect(await deliveryRow(t, pending.id)).toMatchObject({
      state: 'failed',
      lastError: 'endpoint disabled',
      // A newer progress event of the job must make a delivery of its own, not feed this one.
      coalesceKey: null,
    });
    expect((await deliveryRow(t, sending.id))?.state).toBe('sending');
    expect((await deliveryRow(t, succeeded.id))?.state).toBe('succeeded');
    expect((await deliveryRow(t, otherPending.id))?.state).toBe('pending');

    await as(t.app, 'joy').put(`/api/webhooks/${webhook.id}`, { active: true });
    const resent = await resend('joy', webhook.id, pending.id);
    expect(resent.statusCode).toBe(202);
    expect(resent.json().data).toMatchObject({ state: 'pending', lastError: null });
  });

  it('turns a webhook the platform disabled back on and forgets why', async () => {
    const id = await seedEndpoint(t, 'kai', {
      active: false,
      disabledReason: 'gone',
      disabledAt: new Date(),
      failingSince: new Date(Date.UTC(2025, 0, 1)),
    });
    const response = await as(t.app, 'kai').put(`/api/webhooks/${id}`, { active: true });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({
      active: true,
      disabledReason: null,
      failingSince: null,
    });
    const [row] = await t.deps.db.sql`select disabled_at from webhook_endpoints where id = ${id}`;
    expect(row?.disabled_at).toBeNull();
  });

  it('keeps the failing clock of a webhook that is on', async () => {
    const failingSince = new Date(Date.UTC(2025, 0, 1));
    const id = await seedEndpoint(t, 'kai', { failingSince });
    const response = await as(t.app, 'kai').put(`/api/webhooks/${id}`, { active: true });
    expect(response.json().data.failingSince).toBe(failingSince.toISOString());
  });

  it('keeps the platform’s reason while other fields change', async () => {
    const id = await seedEndpoint(t, 'kai', { active: false, disabledReason: 'failing' });
    const response = await as(t.app, 'kai').put(`/api/webhooks/${id}`, { description: 'later' });
    expect(response.json().data).toMatchObject({ active: false, disabledReason: 'failing' });
  });
});
