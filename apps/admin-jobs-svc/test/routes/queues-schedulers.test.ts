import { QueueName, schedules } from '@conveyor/queue-contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startAdminApp, type AdminTestApp } from '../helpers/admin-app.js';

let t: AdminTestApp;
const tick = schedules.digestTick;

beforeAll(async () => {
  t = await startAdminApp();
  // As the digest worker upserts its scheduler, plus an interval one on another queue.
  await t
    .queue(tick.queue)
    .upsertJobScheduler(
      tick.id,
      { pattern: tick.pattern, tz: tick.tz },
      { name: tick.jobName, data: {}, opts: { attempts: 3 } },
    );
  await t
    .queue(QueueName.mediaPreview)
    .upsertJobScheduler('test-every-minute', { every: 60_000 }, { name: 'test.preview' });
});
afterAll(async () => {
  await t.close();
});

interface SchedulerBody {
  queue: string;
  id: string;
  jobName: string;
  pattern: string | null;
  every: number | null;
  tz: string | null;
  nextRun: string | null;
  iterationCount: number | null;
}

describe('GET /api/admin/jobs/schedulers', () => {
  it('lists every scheduler of every queue with pattern, time zone and next run', async () => {
    const response = await as(t.app, 'root').get('/api/admin/jobs/schedulers');
    expect(response.statusCode).toBe(200);
    const { data } = response.json<{ data: SchedulerBody[] }>();
    expect(data).toHaveLength(2);
    const digest = data.find((scheduler) => scheduler.id === tick.id);
    expect(digest).toMatchObject({
      queue: tick.queue,
      jobName: tick.jobName,
      pattern: tick.pattern,
      every: null,
      tz: 'UTC',
    });
    // The hourly tick next runs on the coming hour.
    const next = new Date(digest!.nextRun!);
    expect(next.getUTCMinutes()).toBe(0);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(3_600_000);
    expect(data.find((scheduler) => scheduler.id === 'test-every-minute')).toMatchObject({
      queue: QueueName.mediaPreview,
      jobName: 'test.preview',
      pattern: null,
      every: 60_000,
    });
  });
});

describe('POST /api/admin/jobs/schedulers/:queueName/:schedulerId/trigger', () => {
  const trigger = (queueName: string, schedulerId: string) =>
    as(t.app, 'root').post(`/api/admin/jobs/schedulers/${queueName}/${schedulerId}/trigger`);

  it('adds the scheduler’s job now under a new id, and leaves the schedule as it was', async () => {
    const before = await t.queue(tick.queue).getJobScheduler(tick.id);
    const first = await trigger(tick.queue, tick.id);
    const second = await trigger(tick.queue, tick.id);
    expect(first.statusCode).toBe(200);
    const { data } = first.json<{ data: { jobId: string } }>();
    expect(first.json()).toStrictEqual({
      success: true,
      data: { queue: tick.queue, schedulerId: tick.id, jobId: data.jobId },
    });
    expect(second.json<{ data: { jobId: string } }>().data.jobId).not.toBe(data.jobId);

    const job = await t.queue(tick.queue).getJob(data.jobId);
    expect(job).toMatchObject({ name: tick.jobName, data: {}, opts: { attempts: 3 } });
    expect(await job!.getState()).toBe('waiting');
    expect(await t.queue(tick.queue).getJobScheduler(tick.id)).toStrictEqual(before);
  });

  it('answers 404 Scheduler not found for a scheduler the queue does not have', async () => {
    const response = await trigger(QueueName.mediaPreview, tick.id);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toStrictEqual({ success: false, error: 'Scheduler not found' });
  });

  it('answers 404 Queue not found for an unknown queue', async () => {
    const response = await trigger('no-such-queue', tick.id);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toStrictEqual({ success: false, error: 'Queue not found' });
  });
});
