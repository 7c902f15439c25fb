import { adminAuditLog } from '@conveyor/db/schema';
import { QueueName } from '@conveyor/queue-contracts';
import { waitUntil } from '@conveyor/test-harness/ports';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startAdminApp, type AdminTestApp, type ErrorBody } from '../helpers/admin-app.js';

let t: AdminTestApp;

interface AuditEntryBody {
  id: number;
  adminId: string;
  action: string;
  target: Record<string, unknown>;
  parameters: Record<string, unknown>;
  outcome: string;
  error: string | null;
  createdAt: string;
}

interface AuditListBody {
  success: true;
  data: AuditEntryBody[];
  pagination: { page: number; pageSize: number; total: number; totalPages: number };
}

const admin = (sub: string) => ({
  post: (url: string, body?: unknown) => as(t.app, sub).post(`/api/admin/jobs${url}`, body),
});
const list = async (query = '') =>
  (await as(t.app, 'root').get(`/api/admin/jobs/audit${query}`)).json<AuditListBody>();

let failedJobId: string;

beforeAll(async () => {
  t = await startAdminApp();
  const preview = t.queue(QueueName.mediaPreview);
  await t.startWorker(QueueName.mediaPreview, async () => {
    throw new Error('ffmpeg exited 1');
  });
  const job = await preview.add('test.preview', {}, { attempts: 1 });
  failedJobId = job.id!;
  await waitUntil(async () => (await preview.getJobState(failedJobId)) === 'failed', {
    what: 'the job to fail',
  });
  await preview.upsertJobScheduler('test-hourly', { pattern: '0 * * * *' }, { name: 'test.x' });

  // Each action in turn, oldest first, by two admins; one of them refused.
  const search = QueueName.searchIndexUpdate;
  await admin('alice').post(`/queues/${search}/pause`);
  await admin('bob').post(`/queues/${search}/resume`);
  await admin('alice').post(`/${QueueName.mediaPreview}/${failedJobId}/retry`);
  await admin('bob').post(`/${QueueName.mediaPreview}/no-such-job/retry`);
  await admin('alice').post(`/queues/${QueueName.mediaPreview}/clean`, {
    state: 'completed',
    olderThanSeconds: 60,
  });
  await admin('bob').post(`/schedulers/${QueueName.mediaPreview}/test-hourly/trigger`);
});
afterAll(async () => {
  await t.close();
});

describe('GET /api/admin/jobs/audit', () => {
  it('lists every action, newest first, with its admin, target, parameters and outcome', async () => {
    const body = await list();
    expect(body.success).toBe(true);
    expect(body.pagination).toStrictEqual({ page: 1, pageSize: 50, total: 6, totalPages: 1 });
    const rows = body.data.map(({ adminId, action, target, parameters, outcome, error }) => ({
      adminId,
      action,
      target,
      parameters,
      outcome,
      error,
    }));
    const preview = QueueName.mediaPreview;
    expect(rows).toStrictEqual([
      {
        adminId: 'bob',
        action: 'trigger',
        target: { queue: preview, scheduler: 'test-hourly' },
        parameters: {},
        outcome: 'succeeded',
        error: null,
      },
      {
        adminId: 'alice',
        action: 'clean',
        target: { queue: preview },
        parameters: { state: 'completed', olderThanSeconds: 60, limit: 1_000 },
        outcome: 'succeeded',
        error: null,
      },
      {
        adminId: 'bob',
        action: 'retry',
        target: { queue: preview, jobId: 'no-such-job' },
        parameters: {},
        outcome: 'failed',
        error: 'Job not found',
      },
      {
        adminId: 'alice',
        action: 'retry',
        target: { queue: preview, jobId: failedJobId },
        parameters: {},
        outcome: 'succeeded',
        error: null,
      },
      {
        adminId: 'bob',
        action: 'resume',
        target: { queue: QueueName.searchIndexUpdate },
        parameters: {},
        outcome: 'succeeded',
        error: null,
      },
      {
        adminId: 'alice',
        action: 'pause',
        target: { queue: QueueName.searchIndexUpdate },
        parameters: {},
        outcome: 'succeeded',
        error: null,
      },
    ]);
    const times = body.data.map((entry) => Date.parse(entry.createdAt));
    expect(times).toStrictEqual([...times].sort((a, b) => b - a));
  });

  it('keeps one admin’s actions, or one kind of action', async () => {
    const alice = await list('?adminId=alice');
    expect(alice.data.map((entry) => entry.action)).toStrictEqual(['clean', 'retry', 'pause']);
    expect(alice.pagination.total).toBe(3);
    const retries = await list('?action=retry');
    expect(retries.data.map((entry) => entry.adminId)).toStrictEqual(['bob', 'alice']);
    const both = await list('?action=retry&adminId=bob');
    expect(both.data.map((entry) => entry.outcome)).toStrictEqual(['failed']);
  });

  it('pages through the trail without overlap, ties of the same instant included', async () => {
    // Entries written in one statement share their `created_at`; the id orders them.
    const at = new Date();
    await t.deps.db.db.insert(adminAuditLog).values(
      ['x1', 'x2', 'x3'].map((adminId) => ({
        adminId,
        action: 'pause',
        target: {},
        outcome: 'succeeded',
        createdAt: at,
      })),
    );
    const pages = await Promise.all(
      [1, 2, 3, 4, 5].map((page) => list(`?pageSize=2&page=${page}`)),
    );
    expect(pages[0]!.pagination).toStrictEqual({ page: 1, pageSize: 2, total: 9, totalPages: 5 });
    const ids = pages.flatMap((page) => page.data.map((entry) => entry.id));
    expect(ids).toHaveLength(9);
    expect(ids).toStrictEqual([...ids].sort((a, b) => b - a));
    expect((await list('?page=6&pageSize=2')).data).toStrictEqual([]);
  });

  it('answers 400 Invalid query parameters for a bad page, pageSize or action', async () => {
    for (const query of ['?page=0', '?pageSize=101', '?pageSize=x', '?action=delete']) {
      const response = await as(t.app, 'root').get(`/api/admin/jobs/audit${query}`);
      expect(response.statusCode).toBe(400);
      const body = response.json<ErrorBody>();
      expect(body.error).toBe('Invalid query parameters');
      expect(body.details?.length).toBeGreaterThan(0);
    }
  });
});
