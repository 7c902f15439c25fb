import { notifications } from '@conveyor/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  as,
  minutesAgo,
  seedNotifications,
  startApp,
  type ErrorBody,
  type ListBody,
  type TestApp,
} from '../../helpers/app.js';

let t: TestApp;
/** Alice's fixture by name, in the order spec 001 displays it. */
const ids: Record<string, string> = {};
const displayOrder = ['c', 'b', 'h1', 'h2', 'g', 'e', 'a', 'd', 'f'];

beforeAll(async () => {
  t = await startApp();
  // Two HIGH rows share a timestamp, so the id decides between them.
  const fixture = {
    a: { priority: 'LOW', createdAt: minutesAgo(1) },
    b: { priority: 'URGENT', createdAt: minutesAgo(30), type: 'PAYOUT' },
    c: { priority: 'URGENT', createdAt: minutesAgo(10) },
    d: { priority: 'URGENT', createdAt: minutesAgo(0), read: true, readAt: minutesAgo(0) },
    e: { priority: 'MEDIUM', createdAt: minutesAgo(5), type: 'PAYOUT' },
    f: { priority: 'LOW', createdAt: minutesAgo(2), read: true, readAt: minutesAgo(1) },
    g: { priority: 'HIGH', createdAt: minutesAgo(60) },
    h1: { priority: 'HIGH', createdAt: minutesAgo(20) },
    h2: { priority: 'HIGH', createdAt: minutesAgo(20) },
  } as const;
  const names = Object.keys(fixture) as (keyof typeof fixture)[];
  const inserted = await seedNotifications(
    t.deps,
    'alice',
    names.map((name) => ({ ...fixture[name], title: name })),
  );
  names.forEach((name, index) => (ids[name] = inserted[index]!));
  // Equal timestamps: the larger id comes first, so `h1` names whichever row has it (PostgreSQL
  // compares uuids byte by byte, as JavaScript compares their lowercase hex).
  const [larger, smaller] = [ids.h1!, ids.h2!].sort().reverse() as [string, string];
  for (const [title, id] of [
    ['h1', larger],
    ['h2', smaller],
  ] as const) {
    await t.deps.db.db.update(notifications).set({ title }).where(eq(notifications.id, id));
  }
  [ids.h1, ids.h2] = [larger, smaller];

  await seedNotifications(
    t.deps,
    'bob',
    Array.from({ length: 45 }, (_, index) => ({ createdAt: minutesAgo(index) })),
  );
});
afterAll(async () => {
  await t.close();
});

const alice = () => as(t.app, 'alice');
const titles = (body: Pick<ListBody, 'data'>) => body.data.map((item) => item.title);

describe('GET /api/notifications', () => {
  it('answers every field of spec 001 Notification and the pagination block', async () => {
    const [id] = await seedNotifications(t.deps, 'dora', [
      {
        type: 'LICENSE',
        title: 'License approved',
        message: 'Your license for "Sunrise" is active',
        actionUrl: 'https://app.example.com/licenses/42',
        priority: 'HIGH',
        metadata: { licenseId: 42, tags: ['a'] },
        createdAt: new Date('2025-10-18T09:30:00.123Z'),
      },
    ]);
    const response = await as(t.app, 'dora').get('/api/notifications');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toStrictEqual({
      success: true,
      data: [
        {
          id,
          type: 'LICENSE',
          title: 'License approved',
          message: 'Your license for "Sunrise" is active',
          actionUrl: 'https://app.example.com/licenses/42',
          priority: 'HIGH',
          read: false,
          readAt: null,
          metadata: { licenseId: 42, tags: ['a'] },
          createdAt: '2025-10-18T09:30:00.123Z',
        },
      ],
      pagination: { page: 1, pageSize: 20, total: 1, totalPages: 1 },
    });
  });

  it('answers null for a missing actionUrl and metadata, and an ISO readAt once read', async () => {
    const body = (await alice().get('/api/notifications?read=true')).json<ListBody>();
    const d = body.data.find((item) => item.id === ids.d);
    expect(d).toMatchObject({ actionUrl: null, metadata: null, read: true });
    expect(d?.readAt).toBe(minutesAgo(0).toISOString());
  });

  it('shows unread first, then URGENT to LOW, then newest, then the larger id', async () => {
    const body = (await alice().get('/api/notifications')).json<ListBody>();
    expect(body.data.map((item) => item.id)).toEqual(displayOrder.map((name) => ids[name]));
  });

  it('keeps the display order across pages, with no row twice', async () => {
    const pages = await Promise.all(
      [1, 2, 3, 4, 5].map(async (page) =>
        titles((await alice().get(`/api/notifications?pageSize=2&page=${page}`)).json()),
      ),
    );
    expect(pages.flat()).toEqual(displayOrder);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 2, 2, 1]);
  });

  it('answers an empty inbox with an empty page, not 404', async () => {
    const response = await as(t.app, 'nobody-yet').get('/api/notifications');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({
      success: true,
      data: [],
      pagination: { page: 1, pageSize: 20, total: 0, totalPages: 0 },
    });
  });

  describe('pagination', () => {
    const bob = () => as(t.app, 'bob');

    it('defaults to page 1 of 20 and rounds totalPages up', async () => {
      const body = (await bob().get('/api/notifications')).json();
      expect(body.data).toHaveLength(20);
      expect(body.pagination).toEqual({ page: 1, pageSize: 20, total: 45, totalPages: 3 });
    });

    it('answers the short last page with the same totals', async () => {
      const body = (await bob().get('/api/notifications?page=3')).json();
      expect(body.data).toHaveLength(5);
      expect(body.pagination).toEqual({ page: 3, pageSize: 20, total: 45, totalPages: 3 });
    });

    it('answers a page past the end with no rows and correct totals', async () => {
      const response = await bob().get('/api/notifications?page=4');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toStrictEqual({
        success: true,
        data: [],
        pagination: { page: 4, pageSize: 20, total: 45, totalPages: 3 },
      });
      const far = (await bob().get('/api/notifications?page=100000000')).json();
      expect(far.data).toEqual([]);
      expect(far.pagination.total).toBe(45);
    });

    it('counts an exact multiple of the page size as full pages only', async () => {
      const last = (await bob().get('/api/notifications?pageSize=15&page=3')).json();
      expect(last.data).toHaveLength(15);
      expect(last.pagination).toEqual({ page: 3, pageSize: 15, total: 45, totalPages: 3 });
      const past = (await bob().get('/api/notifications?pageSize=15&page=4')).json();
      expect(past.data).toEqual([]);
      expect(past.pagination.totalPages).toBe(3);
    });

    it('accepts the bounds 1 and 100 for pageSize', async () => {
      const one = (await bob().get('/api/notifications?pageSize=1')).json();
      expect(one.data).toHaveLength(1);
      expect(one.pagination).toEqual({ page: 1, pageSize: 1, total: 45, totalPages: 45 });
      const hundred = (await bob().get('/api/notifications?pageSize=100')).json();
      expect(hundred.data).toHaveLength(45);
      expect(hundred.pagination).toEqual({ page: 1, pageSize: 100, total: 45, totalPages: 1 });
    });
  });

  describe('filters', () => {
    it('filters by read status alone', async () => {
      const read = (await alice().get('/api/notifications?read=true')).json();
      expect(titles(read)).toEqual(['d', 'f']);
      expect(read.pagination.total).toBe(2);
      const unread = (await alice().get('/api/notifications?read=false')).json();
      expect(titles(unread)).toEqual(['c', 'b', 'h1', 'h2', 'g', 'e', 'a']);
      expect(unread.pagination.total).toBe(7);
    });

    it('filters by type alone', async () => {
      const body = (await alice().get('/api/notifications?type=PAYOUT')).json();
      expect(titles(body)).toEqual(['b', 'e']);
      expect(body.pagination).toEqual({ page: 1, pageSize: 20, total: 2, totalPages: 1 });
    });

    it('filters by priority alone, read and unread alike', async () => {
      const body = (await alice().get('/api/notifications?priority=URGENT')).json();
      expect(titles(body)).toEqual(['c', 'b', 'd']);
      const low = (await alice().get('/api/notifications?priority=LOW')).json();
      expect(titles(low)).toEqual(['a', 'f']);
    });

    it('combines filters, and counts and pages the filtered set', async () => {
      const body = (
        await alice().get('/api/notifications?read=false&priority=URGENT&type=SYSTEM')
      ).json();
      expect(titles(body)).toEqual(['c']);
      const paged = (
        await alice().get('/api/notifications?read=false&priority=HIGH&pageSize=2&page=2')
      ).json();
      expect(titles(paged)).toEqual(['g']);
      expect(paged.pagination).toEqual({ page: 2, pageSize: 2, total: 3, totalPages: 2 });
    });

    it('answers a filter that matches nothing with an empty page', async () => {
      const body = (await alice().get('/api/notifications?type=BLOG&read=true')).json();
      expect(body).toStrictEqual({
        success: true,
        data: [],
        pagination: { page: 1, pageSize: 20, total: 0, totalPages: 0 },
      });
    });

    it('ignores query parameters it does not know', async () => {
      const body = (await alice().get('/api/notifications?_=1697654400&read=true')).json();
      expect(titles(body)).toEqual(['d', 'f']);
    });
  });

  describe('validation', () => {
    it.each([
      ['page=0', 'page'],
      ['page=-1', 'page'],
      ['page=1.5', 'page'],
      ['page=', 'page'],
      ['pageSize=0', 'pageSize'],
      ['pageSize=101', 'pageSize'],
      ['pageSize=abc', 'pageSize'],
      ['read=maybe', 'read'],
      ['read=TRUE', 'read'],
      ['type=NOPE', 'type'],
      ['type=system', 'type'],
      ['priority=x', 'priority'],
    ])('answers 400 Invalid query parameters for %s, naming the field', async (query, field) => {
      const response = await alice().get(`/api/notifications?${query}`);
      expect(response.statusCode).toBe(400);
      const body = response.json();
      expect(body).toMatchObject({ success: false, error: 'Invalid query parameters' });
      expect(body.details).toEqual([{ path: field, message: expect.any(String) }]);
    });

    it('names every bad parameter at once', async () => {
      const body = (
        await alice().get('/api/notifications?page=0&pageSize=101&type=NOPE')
      ).json<ErrorBody>();
      expect(body.details?.map((detail) => detail.path).sort()).toEqual([
        'page',
        'pageSize',
        'type',
      ]);
    });
  });

  it('answers 401 Unauthorized without a token or with a bad one', async () => {
    const anonymous = await t.app.inject({ url: '/api/notifications' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toStrictEqual({ success: false, error: 'Unauthorized' });
    const forged = await t.app.inject({
      url: '/api/notifications',
      headers: { authorization: 'Bearer not.a.token' },
    });
    expect(forged.statusCode).toBe(401);
    expect(forged.json()).toStrictEqual({ success: false, error: 'Unauthorized' });
  });
});
