import { jobRuns } from '@conveyor/db/schema';
import { QueueName, queueNames } from '@conveyor/queue-contracts';
import { waitUntil } from '@conveyor/test-harness/ports';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startAdminApp, type AdminTestApp } from '../helpers/admin-app.js';

let t: AdminTestApp;

interface QueueStatsBody {
  name: string;
  paused: boolean;
  counts: Record<string, number>;
  lastHour: Record<string, number>;
  oldestWaitingMs: number | null;
}

const MINUTE = 60_000;
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * MINUTE);

beforeAll(async () => {
  t = await startAdminApp();

  // In line on the aggregation queue (no worker): two waiting, the older queued a minute ago,
  // one by priority and one delayed.
  const aggregation = t.queue(QueueName.analyticsAggregation);
  await aggregation.add('test.rollup', {}, { timestamp: Date.now() - MINUTE });
  await aggregation.add('test.rollup', {});
  await aggregation.add('test.rollup', {}, { priority: 3 });
  await aggregation.add('test.rollup', {}, { delay: 10 * MINUTE });

  // Finished on the preview queue: two completed and one failed, kept by Redis.
  const preview = t.queue(QueueName.mediaPreview);
  const worker = await t.startWorker(QueueName.mediaPreview, async (job: Job) => {
    if ((job.data as { fail?: boolean }).fail) throw new Error('ffmpeg exited 1');
    return {};
  });
  await preview.addBulk([
    { name: 'test.preview', data: {} },
    { name: 'test.preview', data: {} },
    { name: 'test.preview', data: { fail: true }, opts: { attempts: 1 } },
  ]);
  await waitUntil(
    async () => {
      const counts = await preview.getJobCounts('completed', 'failed');
      return counts.completed === 2 && counts.failed === 1;
    },
    { what: 'the preview jobs to finish' },
  );
  await worker.close();

  // The registry's history: what finished in the last hour counts, what finished before (or
  // has not finished) does not.
  const run = (queue: string, jobId: string, state: 'completed' | 'failed' | 'active', at?: Date) =>
    ({ queue, jobId, name: 'test.job', state, finishedAt: at ?? null }) as const;
  await t.deps.db.db
    .insert(jobRuns)
    .values([
      run(QueueName.mediaPreview, 'h1', 'completed', minutesAgo(5)),
      run(QueueName.mediaPreview, 'h2', 'completed', minutesAgo(30)),
      run(QueueName.mediaPreview, 'h3', 'completed', minutesAgo(59)),
      run(QueueName.mediaPreview, 'h4', 'failed', minutesAgo(10)),
      run(QueueName.mediaPreview, 'old', 'completed', minutesAgo(61)),
      run(QueueName.mediaPreview, 'running', 'active'),
      ...Array.from({ length: 120 }, (_, i) =>
        run(QueueName.notificationDelivery, `d${i}`, 'completed', minutesAgo(i % 50)),
      ),
    ]);
});
afterAll(async () => {
  await t.close();
});

const get = (url: string) => as(t.app, 'root').get(`/api/admin/jobs${url}`);
const zero = { completed: 0, failed: 0, completedPerMinute: 0, failedPerMinute: 0 };

describe('GET /api/admin/jobs/queues', () => {
  it('answers every queue of the platform, in order', async () => {
    const response = await get('/queues');
    expect(response.statusCode).toBe(200);
    const body = response.json<{ success: true; data: QueueStatsBody[] }>();
    expect(body.success).toBe(true);
    expect(body.data.map((queue) => queue.name)).toStrictEqual([...queueNames]);
  });

  it('counts jobs by BullMQ state and measures the oldest wait', async () => {
    const body = (await get('/queues')).json<{ data: QueueStatsBody[] }>();
    const aggregation = body.data.find((queue) => queue.name === QueueName.analyticsAggregation);
    expect(aggregation).toMatchObject({
      paused: false,
      counts: {
        waiting: 2,
        prioritized: 1,
        delayed: 1,
        active: 0,
        paused: 0,
        waitingChildren: 0,
        completed: 0,
        failed: 0,
      },
      lastHour: zero,
    });
    expect(aggregation?.oldestWaitingMs).toBeGreaterThanOrEqual(MINUTE);
    expect(aggregation?.oldestWaitingMs).toBeLessThan(2 * MINUTE);
    const preview = body.data.find((queue) => queue.name === QueueName.mediaPreview);
    expect(preview).toMatchObject({ counts: { waiting: 0, completed: 2, failed: 1 } });
    expect(preview?.oldestWaitingMs).toBeNull();
  });

  it('counts the last hour’s completed and failed jobs from the registry, with rates', async () => {
    const body = (await get('/queues')).json<{ data: QueueStatsBody[] }>();
    const lastHour = Object.fromEntries(body.data.map((queue) => [queue.name, queue.lastHour]));
    expect(lastHour).toStrictEqual({
      [QueueName.notificationDelivery]: {
        completed: 120,
        failed: 0,
        completedPerMinute: 2,
        failedPerMinute: 0,
      },
      [QueueName.notificationDigest]: zero,
      [QueueName.analyticsAggregation]: zero,
      [QueueName.searchIndexUpdate]: zero,
      [QueueName.mediaPreview]: {
        completed: 3,
        failed: 1,
        completedPerMinute: 0.05,
        failedPerMinute: 0.02,
      },
      [QueueName.adminBulk]: zero,
    });
  });
});

describe('GET /api/admin/jobs/queues/:queueName', () => {
  it('answers the same stats for one queue', async () => {
    const all = (await get('/queues')).json<{ data: QueueStatsBody[] }>();
    const response = await get(`/queues/${QueueName.mediaPreview}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({
      success: true,
      data: all.data.find((queue) => queue.name === QueueName.mediaPreview),
    });
  });

  it('answers 404 Queue not found for an unknown queue', async () => {
    const response = await get('/queues/no-such-queue');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toStrictEqual({ success: false, error: 'Queue not found' });
  });
});
