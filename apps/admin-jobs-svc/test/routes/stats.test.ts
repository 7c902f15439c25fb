import { digestRuns } from '@conveyor/db/schema';
import { QueueName } from '@conveyor/queue-contracts';
import { waitUntil } from '@conveyor/test-harness/ports';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startAdminApp, type AdminTestApp } from '../helpers/admin-app.js';

let t: AdminTestApp;

beforeAll(async () => {
  t = await startAdminApp();
});
afterAll(async () => {
  await t.close();
});

const stats = () => as(t.app, 'root').get('/api/admin/jobs/notifications/stats');

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('GET /api/admin/jobs/notifications/stats', () => {
  it('answers the spec shape with no job and no digest run yet', async () => {
    const response = await stats();
    expect(response.statusCode).toBe(200);
    const body = response.json<{ data: { digest: Record<string, string> } }>();
    expect(body).toMatchObject({
      success: true,
      data: { delivery: { waiting: 0, active: 0, completed: 0, failed: 0 } },
    });
    // Never run: no last runs; the next runs are the spec's 09:00 UTC (Monday for WEEKLY).
    expect(Object.keys(body.data.digest).sort()).toStrictEqual(['nextDailyRun', 'nextWeeklyRun']);
    const nextDaily = new Date(body.data.digest.nextDailyRun!);
    const nextWeekly = new Date(body.data.digest.nextWeeklyRun!);
    for (const next of [nextDaily, nextWeekly]) {
      expect(next.toISOString()).toMatch(/T09:00:00\.000Z$/);
      expect(next.getTime()).toBeGreaterThan(Date.now());
    }
    expect(nextDaily.getTime() - Date.now()).toBeLessThanOrEqual(DAY);
    expect(nextWeekly.getUTCDay()).toBe(1);
    expect(nextWeekly.getTime() - Date.now()).toBeLessThanOrEqual(7 * DAY);
  });

  it('counts the delivery queue’s jobs by state and names the digests’ last runs', async () => {
    const delivery = t.queue(QueueName.notificationDelivery);
    const worker = await t.startWorker(QueueName.notificationDelivery, async (job: Job) => {
      if ((job.data as { fail?: boolean }).fail) throw new Error('relay refused');
      return {};
    });
    await delivery.add('test.deliver', {}, { attempts: 1 });
    await delivery.add('test.deliver', {}, { attempts: 1 });
    await delivery.add('test.deliver', { fail: true }, { attempts: 1 });
    await waitUntil(
      async () => {
        const counts = await delivery.getJobCounts('completed', 'failed');
        return counts.completed === 2 && counts.failed === 1;
      },
      { what: 'three jobs finished' },
    );
    await worker.close();
    await delivery.add('test.deliver', {});
    await delivery.add('test.deliver', {}, { priority: 5 });

    const daily = new Date(Date.UTC(2026, 10, 22, 9));
    const weekly = new Date(Date.UTC(2026, 10, 16, 9));
    await t.deps.db.db.insert(digestRuns).values([
      { frequency: 'DAILY', scheduledFor: new Date(daily.getTime() - DAY), ...planned },
      { frequency: 'DAILY', scheduledFor: daily, ...planned },
      { frequency: 'WEEKLY', scheduledFor: weekly, ...planned },
    ]);

    const response = await stats();
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      success: true,
      data: {
        delivery: { waiting: 2, active: 0, completed: 2, failed: 1 },
        digest: { lastDailyRun: daily.toISOString(), lastWeeklyRun: weekly.toISOString() },
      },
    });
  });
});

const planned = { usersSelected: 0, digestsPlanned: 0, chunks: 0 };
