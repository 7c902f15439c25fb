import { type JobDefinition, QueueName, schedules } from '@conveyor/queue-contracts';
import { createProducer, type Producer } from '@conveyor/queue-contracts/producer';
import { createLogger } from '@conveyor/runtime/logger';
import { redisOptions } from '@conveyor/runtime/redis';
import { createTestDeps, type TestDeps } from '@conveyor/service-kit/testing';
import { waitUntil } from '@conveyor/test-harness/ports';
import { deleteKeysWithPrefix, testPrefix } from '@conveyor/test-harness/redis';
import { startPresence, type Presence } from '@conveyor/worker-kit/presence';
import type { PresenceScope } from '@conveyor/worker-kit/presence-scope';
import { startTcpProxy, type TcpProxy } from '@conveyor/worker-kit/testing-tcp-proxy';
import { bindProcessor, createQueueWorker, type QueueWorker } from '@conveyor/worker-kit/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { anonymous, as, type App } from '../helpers/admin-app.js';

const logger = createLogger({ app: 'test', level: 'silent', pretty: false });

/** A job of the test's own on the delivery worker's queue: done at once. */
const ping = {
  queue: QueueName.notificationDelivery,
  name: 'test.ping',
  payload: z.object({}),
  result: z.object({}),
  options: { attempts: 1 },
  userSubmittable: false,
} satisfies JobDefinition;

let prefix: string;
let deps: TestDeps<Config>;
let app: App;
let producer: Producer;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  prefix = testPrefix();
  // The app's own bulk worker heartbeats often, so it is back at once after each test's wipe.
  deps = await createTestDeps(loadConfig, {
    BULL_PREFIX: prefix,
    ADMIN_HEALTH_STALL_SECONDS: '1',
    WORKER_HEARTBEAT_MS: '100',
  });
  app = await buildApp(deps);
  await app.ready();
  producer = createProducer({ connection: deps.redis, prefix });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await deleteKeysWithPrefix(deps.config.REDIS_URL, prefix);
});
afterAll(async () => {
  await producer.close();
  await app.close();
  await deps.cleanup();
});

const scope = (app: string): PresenceScope => ({
  redis: deps.redis,
  prefix,
  app,
  version: 'test',
  heartbeatMs: 100,
  logger,
});

/** An instance of `app` that only heartbeats, as the webhook worker does between deliveries. */
const announce = async (app: string, queues: string[]): Promise<Presence> => {
  const presence = startPresence({
    ...scope(app),
    queues,
    concurrency: 1,
    tally: () => ({ completed: 0, failed: 0, active: 0 }),
  });
  cleanups.push(presence.close);
  await presence.ready;
  return presence;
};

/** A delivery-worker instance on a real BullMQ worker, reaching Redis through `port`. */
const startDeliveryWorker = async (port = 6379): Promise<QueueWorker> => {
  const worker = createQueueWorker({
    processors: [bindProcessor(ping, async () => ({}))],
    connection: { host: '127.0.0.1', port, ...redisOptions('worker') },
    prefix,
    logger,
    presence: scope('delivery-worker'),
  });
  cleanups.push(worker.close);
  await worker.worker.waitUntilReady();
  return worker;
};

const upsertScheduler = (schedule: (typeof schedules)[keyof typeof schedules]) =>
  producer
    .queue(schedule.queue)
    .upsertJobScheduler(schedule.id, { pattern: schedule.pattern, tz: schedule.tz });

interface GroupBody {
  healthy: boolean;
  workers: Record<string, { isRunning: boolean; error?: string }>;
  scheduledJobs?: number;
}
interface HealthBody {
  success: true;
  data: { healthy: boolean; [group: string]: GroupBody | boolean } & Record<
    'notifications' | 'digests' | 'webhooks' | 'previews' | 'admin',
    GroupBody
  >;
}
interface WorkersBody {
  success: true;
  data: (Record<string, unknown> & { id: string; app: string; completed: number })[];
}

const health = async () => {
  const response = await as(app, 'admin-1').get('/api/admin/jobs/health');
  expect(response.statusCode).toBe(200);
  return response.json<HealthBody>();
};

const workers = async (query = '') =>
  (await as(app, 'admin-1').get(`/api/admin/jobs/workers${query}`)).json<WorkersBody>();

describe.each(['/api/admin/jobs/health', '/api/admin/jobs/workers'])('GET %s', (url) => {
  it('answers 401 Unauthorized without a token', async () => {
    const response = await anonymous(app).get(url);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toStrictEqual({ success: false, error: 'Unauthorized' });
  });

  it('answers 403 Forbidden to a non-admin', async () => {
    const response = await as(app, 'creator-1', 'CREATOR').get(url);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toStrictEqual({
      success: false,
      error: 'Forbidden: Admin access required',
    });
  });
});

describe('GET /api/admin/jobs/health', () => {
  it('reports every group unhealthy when no worker runs but the service’s own', async () => {
    await waitUntil(async () => (await health()).data.admin.healthy, {
      what: 'the admin service’s bulk worker to heartbeat',
    });
    const body = await health();
    expect(body).toStrictEqual({
      success: true,
      data: {
        healthy: false,
        notifications: { healthy: false, workers: {}, scheduledJobs: 0 },
        digests: { healthy: false, workers: {}, scheduledJobs: 0 },
        webhooks: { healthy: false, workers: {} },
        previews: { healthy: false, workers: {}, scheduledJobs: 0 },
        admin: { healthy: true, workers: expect.any(Object) },
      },
    });
    expect(Object.values(body.data.admin.workers)).toStrictEqual([{ isRunning: true }]);
  });

  it('is healthy when every group runs and has its schedulers', async () => {
    await startDeliveryWorker();
    const digest = await announce('digest-worker', [QueueName.notificationDigest]);
    const webhooks = await announce('webhook-worker', ['webhooks']);
    const previews = await announce('preview-worker', [QueueName.mediaPreview]);
    await upsertScheduler(schedules.notificationOutboxSweep);
    await upsertScheduler(schedules.digestTick);
    await upsertScheduler(schedules.assetPreviewSweep);
    await waitUntil(async () => (await health()).data.healthy === true);

    const { data } = await health();
    expect(data.digests).toStrictEqual({
      healthy: true,
      workers: { [digest.id]: { isRunning: true } },
      scheduledJobs: 1,
    });
    expect(data.webhooks).toStrictEqual({
      healthy: true,
      workers: { [webhooks.id]: { isRunning: true } },
    });
    expect(data.previews).toStrictEqual({
      healthy: true,
      workers: { [previews.id]: { isRunning: true } },
      scheduledJobs: 1,
    });
    expect(Object.values(data.notifications.workers)).toStrictEqual([{ isRunning: true }]);
    expect(data.notifications.scheduledJobs).toBe(1);

    // A worker that makes progress keeps its group healthy while jobs come and go.
    await producer.queue(ping.queue).add(ping.name, {}, ping.options);
    await waitUntil(async () => (await producer.queue(ping.queue).getCompletedCount()) === 1);
    expect((await health()).data.notifications.healthy).toBe(true);
  });

  it('reports a group whose scheduler is missing unhealthy', async () => {
    await announce('digest-worker', [QueueName.notificationDigest]);
    expect((await health()).data.digests).toMatchObject({ healthy: false, scheduledJobs: 0 });
  });

  it('names an app it does not list after itself', async () => {
    const presence = await announce('aggregation-worker', [QueueName.analyticsAggregation]);
    // Its queue carries the catalog's rollups, which the group is expected to have.
    const rollups = Object.values(schedules).filter(
      (schedule) => schedule.queue === QueueName.analyticsAggregation,
    );
    for (const schedule of rollups) await upsertScheduler(schedule);
    expect((await health()).data['aggregation-worker']).toStrictEqual({
      healthy: true,
      workers: { [presence.id]: { isRunning: true } },
      scheduledJobs: rollups.length,
    });
  });

  describe('with the worker’s Redis connection stuck', () => {
    let proxy: TcpProxy;

    it('reports the group stalled while jobs wait, though the worker heartbeats', async () => {
      await upsertScheduler(schedules.notificationOutboxSweep);
      proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
      cleanups.push(() => proxy.close());
      await startDeliveryWorker(proxy.port);
      // Cleanups run last-first: thawed, the worker can drain and close.
      cleanups.push(async () => proxy.thaw());
      proxy.freeze();
      await producer.queue(ping.queue).add(ping.name, {}, ping.options);

      const statusOf = async () => {
        const { data } = await health();
        return {
          healthy: data.notifications.healthy,
          status: Object.values(data.notifications.workers)[0],
        };
      };
      await waitUntil(async () => (await statusOf()).healthy === false, {
        what: 'the stall to show',
      });
      const { status } = await statusOf();
      expect(status).toStrictEqual({
        isRunning: true,
        error: expect.stringMatching(
          /^Stalled: no job completed for \d+ s while 1 job\(s\) wait on notification-delivery$/,
        ),
      });
      expect(await producer.queue(ping.queue).getWaitingCount()).toBe(1);

      // Thawed, it takes the job, and progress makes it healthy again.
      proxy.thaw();
      await waitUntil(async () => (await health()).data.notifications.healthy === true, {
        what: 'the group to recover',
      });
    });
  });
});

describe('GET /api/admin/jobs/workers', () => {
  it('lists every instance with its presence fields, filtered by app or queue', async () => {
    await startDeliveryWorker();
    const digest = await announce('digest-worker', [QueueName.notificationDigest]);
    await producer.queue(ping.queue).add(ping.name, {}, ping.options);
    await waitUntil(async () => (await workers('?app=delivery-worker')).data[0]?.completed === 1);

    const response = await as(app, 'admin-1').get('/api/admin/jobs/workers');
    expect(response.statusCode).toBe(200);
    const { success, data: all } = response.json<WorkersBody>();
    expect(success).toBe(true);
    // The admin service's own bulk worker comes and goes with each test's wipe of Redis.
    const data = all.filter((worker) => worker.app !== 'admin-jobs-svc');
    expect(data.map((worker) => worker.app)).toStrictEqual(['delivery-worker', 'digest-worker']);
    expect(data[0]).toStrictEqual({
      id: expect.any(String),
      group: 'notifications',
      app: 'delivery-worker',
      queues: [QueueName.notificationDelivery],
      host: expect.any(String),
      pid: process.pid,
      version: 'test',
      concurrency: 1,
      heartbeatMs: 100,
      startedAt: expect.any(String),
      lastHeartbeat: expect.any(String),
      lastCompletedAt: expect.any(String),
      completed: 1,
      failed: 0,
      active: 0,
      isRunning: true,
    });
    expect(data[1]).toMatchObject({ id: digest.id, group: 'digests', lastCompletedAt: null });

    const byQueue = await workers(`?queue=${QueueName.notificationDigest}`);
    expect(byQueue.data.map((worker) => worker.id)).toStrictEqual([digest.id]);
  });

  it('answers 400 to an empty filter', async () => {
    const response = await as(app, 'admin-1').get('/api/admin/jobs/workers?app=');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ success: false, error: 'Invalid query parameters' });
  });
});
