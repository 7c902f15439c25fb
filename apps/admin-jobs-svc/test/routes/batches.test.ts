import { adminBatches, digestDeliveries, digestRuns } from '@conveyor/db/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchView } from '../../src/batches/batch-view.js';
import { batchesChangedSince, findBatch } from '../../src/batches/read-batches.js';
import {
  anonymous,
  as,
  startAdminApp,
  type AdminTestApp,
  type ErrorBody,
} from '../helpers/admin-app.js';
import { minutesAgo, seedUsers } from '../helpers/jobs-fixtures.js';

let t: AdminTestApp;
const ids = {
  dailyRun: '11111111-1111-4111-8111-111111111111',
  weeklyRun: '22222222-2222-4222-8222-222222222222',
  retry: '33333333-3333-4333-8333-333333333333',
  cancel: '44444444-4444-4444-8444-444444444444',
};
const statuses = ['sent', 'sent', 'sent', 'skipped', 'failed', 'pending', 'sending'] as const;

beforeAll(async () => {
  t = await startAdminApp();
  const db = t.deps.db.db;
  const users = statuses.map((_, i) => `digest-user-${i}`);
  await seedUsers(t.deps, ...users);
  // A DAILY run under way (7 planned: 5 settled, 2 open), a WEEKLY one finished with none.
  await db.insert(digestRuns).values([
    {
      id: ids.dailyRun,
      frequency: 'DAILY',
      scheduledFor: minutesAgo(60),
      usersSelected: 9,
      digestsPlanned: 7,
      chunks: 1,
      createdAt: minutesAgo(40),
    },
    {
      id: ids.weeklyRun,
      frequency: 'WEEKLY',
      scheduledFor: minutesAgo(120),
      usersSelected: 3,
      digestsPlanned: 0,
      chunks: 0,
      createdAt: minutesAgo(100),
      finishedAt: minutesAgo(99),
    },
  ]);
  await db.insert(digestDeliveries).values(
    statuses.map((status, i) => ({
      runId: ids.dailyRun,
      chunk: 0,
      userId: users[i]!,
      frequency: 'DAILY' as const,
      windowStart: minutesAgo(1_500),
      windowEnd: minutesAgo(60),
      status,
    })),
  );
  await db.insert(adminBatches).values([
    {
      id: ids.retry,
      action: 'retry',
      adminId: 'root',
      filter: { queue: 'media-preview' },
      state: 'completed',
      total: 4,
      processed: 4,
      succeeded: 3,
      skipped: 1,
      createdAt: minutesAgo(30),
      startedAt: minutesAgo(30),
      updatedAt: minutesAgo(29),
      finishedAt: minutesAgo(29),
    },
    {
      id: ids.cancel,
      action: 'cancel',
      adminId: 'other-admin',
      filter: { ownerId: 'someone' },
      parameters: { terminate: true },
      state: 'running',
      total: 1_000,
      processed: 250,
      succeeded: 200,
      skipped: 40,
      failed: 10,
      error: 'Connection is closed.',
      createdAt: minutesAgo(20),
      startedAt: new Date(Date.now() - 10_000),
      updatedAt: new Date(),
    },
  ]);
});
afterAll(async () => {
  await t.close();
});

const get = (url: string) => as(t.app, 'root').get(`/api/admin/jobs${url}`);

interface ListBody {
  success: true;
  data: BatchView[];
  pagination: { page: number; pageSize: number; total: number; totalPages: number };
}

describe('GET /api/admin/jobs/batches', () => {
  it('lists bulk actions and digest runs together, newest first, with their progress', async () => {
    const response = await get('/batches');
    expect(response.statusCode).toBe(200);
    const body = response.json<ListBody>();
    expect(body.pagination).toStrictEqual({ page: 1, pageSize: 20, total: 4, totalPages: 1 });
    expect(body.data.map((batch) => batch.id)).toStrictEqual([
      ids.cancel,
      ids.retry,
      ids.dailyRun,
      ids.weeklyRun,
    ]);
    const [cancel, retry, daily, weekly] = body.data;
    expect(cancel).toMatchObject({
      kind: 'bulk-cancel',
      state: 'running',
      total: 1_000,
      completed: 250,
      percent: 25,
      counts: { succeeded: 200, skipped: 40, failed: 10 },
      adminId: 'other-admin',
      filter: { ownerId: 'someone', terminate: true },
      error: 'Connection is closed.',
      finishedAt: null,
    });
    // 250 done in about 10 s: about 30 s for the 750 left.
    expect(cancel!.estimatedSecondsRemaining).toBeGreaterThanOrEqual(29);
    expect(cancel!.estimatedSecondsRemaining).toBeLessThanOrEqual(33);
    expect(retry).toStrictEqual({
      id: ids.retry,
      kind: 'bulk-retry',
      state: 'completed',
      total: 4,
      completed: 4,
      percent: 100,
      estimatedSecondsRemaining: null,
      startedAt: minutesAgo(30).toISOString(),
      finishedAt: minutesAgo(29).toISOString(),
      createdAt: minutesAgo(30).toISOString(),
      counts: { succeeded: 3, skipped: 1, failed: 0 },
      adminId: 'root',
      filter: { queue: 'media-preview' },
      error: null,
    });
    expect(daily).toMatchObject({
      kind: 'digest',
      state: 'running',
      total: 7,
      completed: 5,
      percent: 71.4,
      startedAt: minutesAgo(40).toISOString(),
      finishedAt: null,
      counts: { succeeded: 3, skipped: 1, failed: 1 },
      frequency: 'DAILY',
      scheduledFor: minutesAgo(60).toISOString(),
    });
    expect(daily!.estimatedSecondsRemaining).toBeGreaterThan(0);
    expect(weekly).toMatchObject({
      kind: 'digest',
      state: 'completed',
      total: 0,
      completed: 0,
      percent: 100,
      estimatedSecondsRemaining: null,
      counts: { succeeded: 0, skipped: 0, failed: 0 },
      frequency: 'WEEKLY',
    });
    expect(weekly).not.toHaveProperty('adminId');
  });

  it('pages, and filters by kind', async () => {
    const second = (await get('/batches?page=2&limit=3')).json<ListBody>();
    expect(second.data.map((batch) => batch.id)).toStrictEqual([ids.weeklyRun]);
    expect(second.pagination).toStrictEqual({ page: 2, pageSize: 3, total: 4, totalPages: 2 });
    const digests = (await get('/batches?kind=digest')).json<ListBody>();
    expect(digests.data.map((batch) => batch.id)).toStrictEqual([ids.dailyRun, ids.weeklyRun]);
    expect(digests.pagination.total).toBe(2);
    const retries = (await get('/batches?kind=bulk-retry')).json<ListBody>();
    expect(retries.data.map((batch) => batch.id)).toStrictEqual([ids.retry]);
    expect(retries.pagination.total).toBe(1);
  });

  it('answers 400 Invalid query parameters for a bad page, limit or kind', async () => {
    for (const query of ['?page=0', '?limit=101', '?kind=clean']) {
      const response = await get(`/batches${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json<ErrorBody>().error).toBe('Invalid query parameters');
    }
  });
});

describe('GET /api/admin/jobs/batches/:batchId', () => {
  it('answers a bulk action and a digest run by id', async () => {
    const retry = await get(`/batches/${ids.retry}`);
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({ success: true, data: { id: ids.retry, total: 4 } });
    const run = await get(`/batches/${ids.dailyRun}`);
    expect(run.json()).toMatchObject({ success: true, data: { kind: 'digest', completed: 5 } });
  });

  it('answers 404 Batch not found for an unknown id and for a malformed one', async () => {
    for (const id of ['55555555-5555-4555-8555-555555555555', 'not-a-uuid']) {
      const response = await get(`/batches/${id}`);
      expect(response.statusCode, id).toBe(404);
      expect(response.json()).toStrictEqual({ success: false, error: 'Batch not found' });
    }
    expect(await findBatch(t.deps.db.db, 'not-a-uuid')).toBeNull();
  });
});

describe('batchesChangedSince, the live batch room’s poll', () => {
  it('gives bulk batches written since, and digest runs unfinished or finished since', async () => {
    const changed = await batchesChangedSince(t.deps.db.db, minutesAgo(25));
    expect(changed.map((batch) => batch.id).sort()).toStrictEqual(
      [ids.cancel, ids.dailyRun].sort(),
    );
    const longer = await batchesChangedSince(t.deps.db.db, minutesAgo(100));
    expect(longer.map((batch) => batch.id).sort()).toStrictEqual(
      [ids.cancel, ids.retry, ids.dailyRun, ids.weeklyRun].sort(),
    );
  });
});

describe('access to the bulk and batch routes', () => {
  const routes = [
    ['POST', '/api/admin/jobs/bulk/retry'],
    ['POST', '/api/admin/jobs/bulk/cancel'],
    ['GET', '/api/admin/jobs/batches'],
    ['GET', `/api/admin/jobs/batches/${ids.retry}`],
  ] as const;

  it.each(routes)('%s %s answers 401 without a token', async (method, url) => {
    const client = anonymous(t.app);
    const response =
      method === 'GET' ? await client.get(url) : await client.post(url, { ownerId: 'x' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toStrictEqual({ success: false, error: 'Unauthorized' });
  });

  it.each(routes)('%s %s answers 403 to a VIEWER, and starts nothing', async (method, url) => {
    const client = as(t.app, 'viewer-1', 'VIEWER');
    const response =
      method === 'GET' ? await client.get(url) : await client.post(url, { ownerId: 'x' });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toStrictEqual({
      success: false,
      error: 'Forbidden: Admin access required',
    });
    expect(await t.deps.db.db.select().from(adminBatches)).toHaveLength(2);
  });
});
