import { QueueName } from '@conveyor/queue-contracts';
import { waitUntil } from '@conveyor/test-harness/ports';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startAdminApp, type AdminTestApp, type ErrorBody } from '../helpers/admin-app.js';

let t: AdminTestApp;

beforeAll(async () => {
  t = await startAdminApp();
});
afterAll(async () => {
  await t.close();
});

const post = (url: string, body?: unknown) =>
  as(t.app, 'root').post(`/api/admin/jobs/queues${url}`, body);
const pausedOf = async (name: QueueName) =>
  (await as(t.app, 'root').get(`/api/admin/jobs/queues/${name}`)).json<{
    data: { paused: boolean };
  }>().data.paused;

describe('POST /api/admin/jobs/queues/:queueName/pause and /resume', () => {
  const name = QueueName.searchIndexUpdate;

  it('stops workers starting new jobs until the queue is resumed', async () => {
    const started: string[] = [];
    await t.startWorker(name, async (job: Job) => {
      started.push(job.id!);
      return {};
    });
    const paused = await post(`/${name}/pause`);
    expect(paused.statusCode).toBe(200);
    expect(paused.json()).toStrictEqual({ success: true, data: { queue: name, paused: true } });
    expect(await pausedOf(name)).toBe(true);

    const job = await t.queue(name).add('test.reindex', {});
    // Long enough for an idle worker to take a job many times over (it blocks on the queue's
    // marker and takes a new job within milliseconds when the queue is running).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(started).toStrictEqual([]);
    expect(await t.queue(name).getJobState(job.id!)).toBe('waiting');

    const resumed = await post(`/${name}/resume`);
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json()).toStrictEqual({ success: true, data: { queue: name, paused: false } });
    await waitUntil(async () => (await t.queue(name).getJobState(job.id!)) === 'completed', {
      what: 'the job to run once resumed',
    });
    expect(started).toStrictEqual([job.id]);
  });

  it('is idempotent: pausing a paused queue and resuming a running one answer 200', async () => {
    const other = QueueName.analyticsAggregation;
    for (const expected of [true, true]) {
      const response = await post(`/${other}/pause`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ data: { paused: expected } });
    }
    for (const expected of [false, false]) {
      const response = await post(`/${other}/resume`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ data: { paused: expected } });
    }
    expect(await pausedOf(other)).toBe(false);
  });

  it('answers 404 Queue not found for an unknown queue', async () => {
    for (const action of ['pause', 'resume']) {
      const response = await post(`/no-such-queue/${action}`);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toStrictEqual({ success: false, error: 'Queue not found' });
    }
  });
});

describe('POST /api/admin/jobs/queues/:queueName/clean', () => {
  const name = QueueName.mediaPreview;

  beforeAll(async () => {
    await t.startWorker(name, async (job: Job) => {
      if ((job.data as { fail?: boolean }).fail) throw new Error('ffmpeg exited 1');
      return {};
    });
    await t
      .queue(name)
      .addBulk([
        ...Array.from({ length: 3 }, () => ({ name: 'test.preview', data: {} })),
        { name: 'test.preview', data: { fail: true }, opts: { attempts: 1 } },
      ]);
    await waitUntil(
      async () => {
        const counts = await t.queue(name).getJobCounts('completed', 'failed');
        return counts.completed === 3 && counts.failed === 1;
      },
      { what: 'the preview jobs to finish' },
    );
    // Every job finished strictly before the cleans below, whose cut-off is "now".
    await new Promise((resolve) => setTimeout(resolve, 10));
  });

  const clean = (body: unknown) => post(`/${name}/clean`, body);

  it('keeps jobs that finished more recently than the age given', async () => {
    const response = await clean({ state: 'completed', olderThanSeconds: 3_600 });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({
      success: true,
      data: { queue: name, state: 'completed', removed: 0 },
    });
  });

  it('removes at most `limit` jobs of the state given, and the rest on the next call', async () => {
    const first = await clean({ state: 'completed', olderThanSeconds: 0, limit: 2 });
    expect(first.json()).toMatchObject({ data: { removed: 2 } });
    const second = await clean({ state: 'completed', olderThanSeconds: 0, limit: 2 });
    expect(second.json()).toMatchObject({ data: { removed: 1 } });
    expect(await t.queue(name).getJobCounts('completed', 'failed')).toStrictEqual({
      completed: 0,
      failed: 1,
    });
    const failed = await clean({ state: 'failed', olderThanSeconds: 0 });
    expect(failed.json()).toStrictEqual({
      success: true,
      data: { queue: name, state: 'failed', removed: 1 },
    });
  });

  it('answers 400 Invalid request body, naming each bad field', async () => {
    const response = await clean({ state: 'active', limit: 0 });
    expect(response.statusCode).toBe(400);
    const body = response.json<ErrorBody>();
    expect(body.error).toBe('Invalid request body');
    expect(body.details?.map((issue) => issue.path).sort()).toStrictEqual([
      'limit',
      'olderThanSeconds',
      'state',
    ]);
  });

  it('answers 404 Queue not found for an unknown queue', async () => {
    const response = await post('/no-such-queue/clean', {
      state: 'failed',
      olderThanSeconds: 0,
    });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toStrictEqual({ success: false, error: 'Queue not found' });
  });
});
