import { notifications, users } from '@conveyor/db/schema';
import { MAX_RECIPIENTS } from '@conveyor/notifications/create';
import { QueueName } from '@conveyor/queue-contracts';
import { createProducer, type Producer } from '@conveyor/queue-contracts/producer';
import { bearer, testToken } from '@conveyor/service-kit/testing';
import { count, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, seedUsers, startApp, type TestApp } from '../../helpers/app.js';

let t: TestApp;
/** Reads the app's delivery queue under the test's own prefix. */
let inspector: Producer;

beforeAll(async () => {
  t = await startApp();
  inspector = createProducer({ connection: t.deps.redis, prefix: t.prefix });
  await seedUsers(
    t.deps,
    { id: 'admin', role: 'ADMIN' },
    { id: 'ann', role: 'CREATOR' },
    { id: 'ben', role: 'CREATOR' },
    { id: 'cal', role: 'CREATOR' },
    { id: 'bea', role: 'BRAND' },
  );
});
afterAll(async () => {
  await inspector.close();
  await t.close();
});

const admin = () => as(t.app, 'admin', 'ADMIN');
const content = { type: 'SYSTEM', title: 'Maintenance', message: 'Tonight at 22:00 UTC' };
const queue = () => inspector.queue(QueueName.notificationDelivery);
const rowsOf = (ids: string[]) =>
  t.deps.db.db.select().from(notifications).where(inArray(notifications.id, ids));
const totalRows = async () => (await t.deps.db.db.select({ n: count() }).from(notifications))[0]!.n;

describe('POST /api/notifications (ADMIN)', () => {
  it('creates one notification for userId with the defaults, and its delivery job', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/notifications',
      headers: { ...bearer(testToken('admin', 'ADMIN')), 'x-request-id': 'req-create-1' },
      payload: { userId: 'ann', ...content },
    });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toStrictEqual({ success: true, data: { count: 1, ids: [expect.any(String)] } });
    const [id] = body.data.ids as [string];
    const [row] = await rowsOf([id]);
    expect(row).toMatchObject({
      userId: 'ann',
      type: 'SYSTEM',
      title: 'Maintenance',
      message: 'Tonight at 22:00 UTC',
      priority: 'MEDIUM',
      actionUrl: null,
      metadata: null,
      critical: false,
      read: false,
      emailStatus: 'pending',
    });
    const job = await queue().getJob(`deliver-${id}`);
    expect(job?.name).toBe('notification.deliver');
    expect(job?.data).toEqual({ notificationId: id, requestId: 'req-create-1' });
  });

  it('stores priority, actionUrl, metadata and the critical flag, and the recipient sees it', async () => {
    const response = await admin().post('/api/notifications', {
      userId: 'bea',
      type: 'LICENSE',
      title: 'Security notice',
      message: 'A new device signed in',
      priority: 'URGENT',
      actionUrl: 'https://app.example.com/security',
      metadata: { device: 'laptop' },
      critical: true,
    });
    expect(response.statusCode).toBe(201);
    const [id] = response.json().data.ids as [string];
    expect((await rowsOf([id]))[0]).toMatchObject({ critical: true, priority: 'URGENT' });
    const inbox = (await as(t.app, 'bea', 'BRAND').get('/api/notifications')).json();
    expect(inbox.data[0]).toMatchObject({
      id,
      type: 'LICENSE',
      priority: 'URGENT',
      actionUrl: 'https://app.example.com/security',
      metadata: { device: 'laptop' },
      read: false,
    });
  });

  it('creates one notification per distinct id of userIds, each with its job', async () => {
    const response = await admin().post('/api/notifications', {
      userIds: ['ann', 'ben', 'ann', 'cal'],
      ...content,
    });
    expect(response.statusCode).toBe(201);
    const { count: created, ids } = response.json().data as { count: number; ids: string[] };
    expect(created).toBe(3);
    expect(ids).toHaveLength(3);
    const rows = await rowsOf(ids);
    expect(rows.map((row) => row.userId).sort()).toEqual(['ann', 'ben', 'cal']);
    const jobs = await Promise.all(ids.map((id) => queue().getJob(`deliver-${id}`)));
    expect(jobs.map((job) => job?.id)).toEqual(ids.map((id) => `deliver-${id}`));
    expect(jobs.map((job) => (job?.data as { notificationId: string }).notificationId)).toEqual(
      ids,
    );
  });

  it('broadcasts to a role: one notification per user of it, no ids', async () => {
    const [{ creators }] = (await t.deps.db.db
      .select({ creators: count() })
      .from(users)
      .where(eq(users.role, 'CREATOR'))) as [{ creators: number }];
    expect(creators).toBe(3);
    const before = await totalRows();
    const response = await admin().post('/api/notifications', { role: 'CREATOR', ...content });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toStrictEqual({ success: true, data: { count: creators } });
    expect(await totalRows()).toBe(before + creators);
    const latest = await t.deps.db.db
      .select()
      .from(notifications)
      .orderBy(notifications.createdAt)
      .then((rows) => rows.slice(-creators));
    expect(latest.map((row) => row.userId).sort()).toEqual(['ann', 'ben', 'cal']);
    for (const row of latest) expect(await queue().getJob(`deliver-${row.id}`)).toBeDefined();
  });

  it('answers 201 with count 0 for a role nobody has', async () => {
    const response = await admin().post('/api/notifications', { role: 'VIEWER', ...content });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toStrictEqual({ success: true, data: { count: 0 } });
  });

  it('answers 404 User not found with the missing ids, and creates nothing', async () => {
    const before = await totalRows();
    const jobsBefore = await queue().getJobCounts();
    const response = await admin().post('/api/notifications', {
      userIds: ['ann', 'ghost', 'phantom'],
      ...content,
    });
    expect(response.statusCode).toBe(404);
    const body = response.json();
    expect(body).toMatchObject({ success: false, error: 'User not found' });
    expect([...body.details.missingUserIds].sort()).toEqual(['ghost', 'phantom']);
    const single = await admin().post('/api/notifications', { userId: 'ghost', ...content });
    expect(single.json()).toStrictEqual({
      success: false,
      error: 'User not found',
      details: { missingUserIds: ['ghost'] },
    });
    expect(await totalRows()).toBe(before);
    expect(await queue().getJobCounts()).toEqual(jobsBefore);
  });

  it.each(['CREATOR', 'BRAND', 'VIEWER'] as const)(
    'answers 403 to a %s, before looking at the body, and creates nothing',
    async (role) => {
      const before = await totalRows();
      for (const body of [{ userId: 'ann', ...content }, { nonsense: true }]) {
        const response = await as(t.app, `not-admin-${role}`, role).post(
          '/api/notifications',
          body,
        );
        expect(response.statusCode).toBe(403);
        expect(response.json()).toStrictEqual({
          success: false,
          error: 'Forbidden: Admin access required',
        });
      }
      expect(await totalRows()).toBe(before);
    },
  );

  it('answers 401 without a token', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/notifications',
      payload: { userId: 'ann', ...content },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toStrictEqual({ success: false, error: 'Unauthorized' });
  });

  it.each([
    ['no recipient', { ...content }],
    ['two kinds of recipient', { userId: 'ann', role: 'CREATOR', ...content }],
    ['an unknown field', { userId: 'ann', ...content, sendAt: 'tomorrow' }],
    ['an unknown type', { userId: 'ann', ...content, type: 'NOPE' }],
    ['an unknown priority', { userId: 'ann', ...content, priority: 'CRITICAL' }],
    ['an unknown role', { role: 'ROOT', ...content }],
    ['a blank title', { userId: 'ann', ...content, title: '   ' }],
    ['a missing message', { userId: 'ann', type: 'SYSTEM', title: 'x' }],
    [
      'an actionUrl that is not http(s)',
      { userId: 'ann', ...content, actionUrl: 'javascript:alert(1)' },
    ],
    ['an empty userIds', { userIds: [], ...content }],
    [
      'too many userIds',
      { userIds: Array.from({ length: MAX_RECIPIENTS + 1 }, (_, i) => `u${i}`), ...content },
    ],
  ])('answers 400 Invalid request body for %s, with details', async (_label, body) => {
    const before = await totalRows();
    const response = await admin().post('/api/notifications', body);
    expect(response.statusCode).toBe(400);
    const answer = response.json();
    expect(answer).toMatchObject({ success: false, error: 'Invalid request body' });
    expect(answer.details.length).toBeGreaterThan(0);
    expect(await totalRows()).toBe(before);
  });
});
