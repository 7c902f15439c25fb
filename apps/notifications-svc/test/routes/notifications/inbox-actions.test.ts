import { notifications } from '@conveyor/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, seedNotifications, startApp, type ListBody, type TestApp } from '../../helpers/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t.close();
});

const notFound = { success: false, error: 'Notification not found' };
const unreadCount = async (sub: string) =>
  (await as(t.app, sub).get('/api/notifications/unread-count')).json().data.count as number;

describe('POST /api/notifications/:id/read', () => {
  it('answers id, read true and readAt, and marks the row read', async () => {
    const [id] = await seedNotifications(t.deps, 'reader', [{}]);
    const before = Date.now();
    const response = await as(t.app, 'reader').post(`/api/notifications/${id}/read`);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toStrictEqual({
      success: true,
      data: { id, read: true, readAt: expect.any(String) },
    });
    expect(new Date(body.data.readAt).toISOString()).toBe(body.data.readAt);
    expect(Date.parse(body.data.readAt)).toBeGreaterThanOrEqual(before - 1_000);
    const [row] = await t.deps.db.db.select().from(notifications).where(eq(notifications.id, id!));
    expect(row).toMatchObject({ read: true, readAt: new Date(body.data.readAt) });
  });

  it('is idempotent and keeps the first readAt', async () => {
    const [id] = await seedNotifications(t.deps, 'rereader', [{}]);
    const first = (await as(t.app, 'rereader').post(`/api/notifications/${id}/read`)).json();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await as(t.app, 'rereader').post(`/api/notifications/${id}/read`);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toStrictEqual(first);
  });
});

describe('POST /api/notifications/:id/unread', () => {
  it('answers id, read false and readAt null, and a later read sets a new readAt', async () => {
    const [id] = await seedNotifications(t.deps, 'flipper', [{}]);
    const flipper = as(t.app, 'flipper');
    const read = (await flipper.post(`/api/notifications/${id}/read`)).json();
    const response = await flipper.post(`/api/notifications/${id}/unread`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({
      success: true,
      data: { id, read: false, readAt: null },
    });
    const list = (await flipper.get('/api/notifications')).json();
    expect(list.data[0]).toMatchObject({ id, read: false, readAt: null });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = (await flipper.post(`/api/notifications/${id}/read`)).json();
    expect(Date.parse(again.data.readAt)).toBeGreaterThan(Date.parse(read.data.readAt));
  });

  it('is idempotent on an unread notification', async () => {
    const [id] = await seedNotifications(t.deps, 'flipper', [{}]);
    const response = await as(t.app, 'flipper').post(`/api/notifications/${id}/unread`);
    expect(response.json()).toStrictEqual({
      success: true,
      data: { id, read: false, readAt: null },
    });
  });
});

describe('POST /api/notifications/read-all', () => {
  it('counts only the rows it changed, and 0 the second time', async () => {
    const ids = await seedNotifications(t.deps, 'sweeper', [
      {},
      {},
      {},
      { read: true, readAt: new Date('2025-01-01T00:00:00Z') },
    ]);
    await seedNotifications(t.deps, 'bystander', [{}, {}]);
    const sweeper = as(t.app, 'sweeper');
    const first = await sweeper.post('/api/notifications/read-all');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toStrictEqual({ success: true, data: { count: 3 } });
    expect((await sweeper.post('/api/notifications/read-all')).json()).toStrictEqual({
      success: true,
      data: { count: 0 },
    });
    const rows = await t.deps.db.db
      .select()
      .from(notifications)
      .where(eq(notifications.userId, 'sweeper'));
    expect(rows.every((row) => row.read && row.readAt)).toBe(true);
    // The row that was read already keeps when it was read.
    expect(rows.find((row) => row.id === ids[3])?.readAt).toEqual(new Date('2025-01-01T00:00:00Z'));
    expect(await unreadCount('bystander')).toBe(2);
  });

  it('answers count 0 for an empty inbox', async () => {
    const response = await as(t.app, 'empty-inbox').post('/api/notifications/read-all');
    expect(response.json()).toStrictEqual({ success: true, data: { count: 0 } });
  });
});

describe('GET /api/notifications/unread-count', () => {
  it('answers { count } and follows every operation', async () => {
    const user = as(t.app, 'counter');
    const admin = as(t.app, 'counter-admin', 'ADMIN');
    expect((await user.get('/api/notifications/unread-count')).json()).toStrictEqual({
      success: true,
      data: { count: 0 },
    });

    const created = await admin.post('/api/notifications', {
      userId: 'counter',
      type: 'MESSAGE',
      title: 'Hi',
      message: 'Three of them',
    });
    expect(created.statusCode).toBe(201);
    await admin.post('/api/notifications', {
      userId: 'counter',
      type: 'BLOG',
      title: 'B',
      message: 'b',
    });
    const [third] = (
      await admin.post('/api/notifications', {
        userId: 'counter',
        type: 'BLOG',
        title: 'C',
        message: 'c',
      })
    ).json().data.ids;
    expect(await unreadCount('counter')).toBe(3);

    await user.post(`/api/notifications/${third}/read`);
    expect(await unreadCount('counter')).toBe(2);
    await user.post(`/api/notifications/${third}/read`);
    expect(await unreadCount('counter')).toBe(2);

    await user.post(`/api/notifications/${third}/unread`);
    expect(await unreadCount('counter')).toBe(3);

    await user.delete(`/api/notifications/${third}`);
    expect(await unreadCount('counter')).toBe(2);

    await user.post('/api/notifications/read-all');
    expect(await unreadCount('counter')).toBe(0);
  });
});

describe('DELETE /api/notifications/:id', () => {
  it('answers { success: true } and the notification is gone', async () => {
    const [id, kept] = await seedNotifications(t.deps, 'deleter', [{}, {}]);
    const deleter = as(t.app, 'deleter');
    const response = await deleter.delete(`/api/notifications/${id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({ success: true });
    const list = (await deleter.get('/api/notifications')).json<ListBody>();
    expect(list.data.map((item) => item.id)).toEqual([kept]);
    const again = await deleter.delete(`/api/notifications/${id}`);
    expect(again.statusCode).toBe(404);
    expect(again.json()).toStrictEqual(notFound);
  });
});

describe('a notification that is not the caller’s', () => {
  let owned: string;

  beforeAll(async () => {
    [owned] = (await seedNotifications(t.deps, 'owner-a', [{ title: 'secret' }])) as [string];
    await seedNotifications(t.deps, 'owner-b', [{ title: 'mine' }]);
  });

  const missingIds = {
    'a missing uuid': () => '00000000-0000-4000-8000-000000000000',
    'a malformed id': () => 'not-a-uuid',
    'a numeric id': () => '12345',
    'a uuid with an SQL tail': () => `${owned}' or '1'='1`,
    'an encoded path': () => '..%2F..%2Fhealthz',
    'another user’s id': () => owned,
  };

  for (const [label, id] of Object.entries(missingIds)) {
    it(`answers 404 Notification not found for ${label} on read, unread and delete`, async () => {
      const b = as(t.app, 'owner-b');
      for (const response of [
        await b.post(`/api/notifications/${id()}/read`),
        await b.post(`/api/notifications/${id()}/unread`),
        await b.delete(`/api/notifications/${id()}`),
      ]) {
        expect(response.statusCode).toBe(404);
        expect(response.json()).toStrictEqual(notFound);
      }
    });
  }

  it('answers 404 in the envelope for an id whose percent-encoding cannot be decoded', async () => {
    // The router refuses such a path before any route runs, so it answers like an unknown route.
    const b = as(t.app, 'owner-b');
    for (const response of [
      await b.post('/api/notifications/%E0%A4%A/read'),
      await b.post('/api/notifications/%E0%A4%A/unread'),
      await b.delete('/api/notifications/%E0%A4%A'),
    ]) {
      expect(response.statusCode).toBe(404);
      expect(response.json()).toStrictEqual({ success: false, error: 'Route not found' });
    }
  });

  it('is left untouched by the other user’s attempts', async () => {
    const [row] = await t.deps.db.db
      .select()
      .from(notifications)
      .where(eq(notifications.id, owned));
    expect(row).toMatchObject({ userId: 'owner-a', read: false, readAt: null });
  });

  it('never appears in the other user’s list, count or read-all', async () => {
    const b = as(t.app, 'owner-b');
    const list = (await b.get('/api/notifications?pageSize=100')).json<ListBody>();
    expect(list.data.map((item) => item.title)).toEqual(['mine']);
    expect(list.pagination.total).toBe(1);
    expect(await unreadCount('owner-b')).toBe(1);
    expect((await b.post('/api/notifications/read-all')).json().data.count).toBe(1);
    expect(await unreadCount('owner-a')).toBe(1);
  });

  it('answers 401 without a token on every inbox route', async () => {
    const routes = [
      ['GET', '/api/notifications/unread-count'],
      ['POST', '/api/notifications/read-all'],
      ['POST', `/api/notifications/${owned}/read`],
      ['POST', `/api/notifications/${owned}/unread`],
      ['DELETE', `/api/notifications/${owned}`],
    ] as const;
    for (const [method, url] of routes) {
      const response = await t.app.inject({ method, url });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
      expect(response.json()).toStrictEqual({ success: false, error: 'Unauthorized' });
    }
  });
});
