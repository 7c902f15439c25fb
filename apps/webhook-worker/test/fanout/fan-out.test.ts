import { jobRuns, webhookDeliveries, webhookEndpoints, webhookMessages } from '@conveyor/db/schema';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import type { StreamGroupConsumer } from '@conveyor/job-events/stream-consumer';
import {
  createRegistryConsumer,
  jobEventsQueues,
  recordNewJobs,
} from '@conveyor/job-events/registry';
import { waitUntil } from '@conveyor/test-harness/ports';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  addEndpoint,
  createDeps,
  deliveriesTo,
  fanOutCaughtUp,
  seedUser,
  startFanOut,
  startTestJobs,
  testQueue,
  type TestDeps,
  type TestJobs,
} from './fixtures.js';

let database: TestDatabase;
let deps: TestDeps;
let closeDeps: () => Promise<void>;
let prefix: string;
let jobs: TestJobs;
let fanOut: StreamGroupConsumer | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  ({ deps, close: closeDeps } = await createDeps(database.url));
});
afterAll(async () => {
  await closeDeps();
  await database.drop();
});
beforeEach(() => {
  prefix = testPrefix();
  jobs = startTestJobs(prefix);
});
afterEach(async () => {
  await fanOut?.stop();
  fanOut = undefined;
  await jobs.close();
  await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
});

const db = () => deps.db.db;

async function runFanOut() {
  fanOut = await startFanOut(deps, prefix);
}

describe('the webhook fan-out', () => {
  it('makes one delivery per event for each active endpoint whose type matches, none for inactive ones', async () => {
    const owner = await seedUser(db());
    const endpoints = {
      progress: await addEndpoint(db(), owner, 'progress'),
      completed: await addEndpoint(db(), owner, 'completed'),
      failed: await addEndpoint(db(), owner, 'failed'),
      all: await addEndpoint(db(), owner, 'all'),
      inactive: await addEndpoint(db(), owner, 'all', false),
    };
    await runFanOut();
    const [done, broken] = await jobs.run(
      ['report', { ownerId: owner, steps: [40, 100] }],
      ['report', { ownerId: owner, fail: 'out of paper' }],
    );
    await fanOutCaughtUp(deps.redis, prefix);

    const progress = { id: done, jobname: 'report', userId: owner, progress: 100 };
    const completed = { id: done, jobname: 'report', userId: owner, result: { echo: 'report' } };
    const failed = { id: broken, jobname: 'report', userId: owner, error: 'out of paper' };
    const payloads = async (endpoint: number) =>
      (await deliveriesTo(db(), endpoint)).map((delivery) => delivery.payload);
    // Nothing was sent yet, so the progress 40 delivery took the newer progress instead.
    expect(await payloads(endpoints.progress)).toEqual([{ ...progress, eventType: 'progress' }]);
    expect(await payloads(endpoints.completed)).toEqual([{ ...completed, eventType: 'completed' }]);
    expect(await payloads(endpoints.failed)).toEqual([{ ...failed, eventType: 'failed' }]);
    expect(await payloads(endpoints.all)).toEqual(
      expect.arrayContaining([
        { ...progress, eventType: 'progress' },
        { ...completed, eventType: 'completed' },
        { ...failed, eventType: 'failed' },
      ]),
    );
    expect(await payloads(endpoints.all)).toHaveLength(3);
    expect(await payloads(endpoints.inactive)).toEqual([]);
  });

  it("never makes a delivery of one user's job to another user's endpoint", async () => {
    const [alice, bob] = [await seedUser(db()), await seedUser(db())];
    const aliceEndpoint = await addEndpoint(db(), alice, 'all');
    const bobEndpoint = await addEndpoint(db(), bob, 'all');
    await runFanOut();
    const aliceJobs = await jobs.run(
      ['report', { ownerId: alice, steps: [50] }],
      ['report', { ownerId: alice, fail: 'nope' }],
    );
    const bobJobs = await jobs.run(['report', { ownerId: bob }]);
    await fanOutCaughtUp(deps.redis, prefix);

    const toAlice = await deliveriesTo(db(), aliceEndpoint);
    const toBob = await deliveriesTo(db(), bobEndpoint);
    expect(toAlice).toHaveLength(3);
    expect(toBob).toHaveLength(1);
    for (const delivery of toAlice) {
      expect(delivery).toMatchObject({ ownerId: alice, payload: { userId: alice } });
      expect(aliceJobs).toContain(delivery.jobId);
    }
    expect(toBob[0]).toMatchObject({ ownerId: bob, jobId: bobJobs[0], payload: { userId: bob } });
  });

  it("sends only completed events to a user's legacy webhookUrl", async () => {
    const owner = await seedUser(db(), 'https://legacy.example.com/hook');
    await runFanOut();
    const [done] = await jobs.run(
      ['report', { ownerId: owner, steps: [10, 20] }],
      ['report', { ownerId: owner, fail: 'broken' }],
    );
    await fanOutCaughtUp(deps.redis, prefix);

    const [legacy, ...others] = await db()
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.ownerId, owner));
    expect(others).toEqual([]);
    expect(legacy).toMatchObject({
      legacy: true,
      eventType: 'completed',
      url: 'https://legacy.example.com/hook',
    });
    const deliveries = await deliveriesTo(db(), legacy!.id);
    expect(deliveries.map((delivery) => delivery.payload)).toEqual([
      {
        id: done,
        jobname: 'report',
        userId: owner,
        result: { echo: 'report' },
        eventType: 'completed',
      },
    ]);
  });

  it('coalesces a thousand progress reports into one pending delivery per endpoint, carrying the last', async () => {
    const owner = await seedUser(db());
    const progressEndpoint = await addEndpoint(db(), owner, 'progress');
    const allEndpoint = await addEndpoint(db(), owner, 'all');
    await runFanOut();
    const steps = Array.from({ length: 1_000 }, (_, i) => i + 1);
    const [chatty] = await jobs.run(['report', { ownerId: owner, steps }]);
    await fanOutCaughtUp(deps.redis, prefix);

    // Read in many batches while the job ran, each storing its newest progress; as long as no
    // attempt took the delivery, every newer progress replaced the message it points at.
    const progressOf = async (endpoint: number) =>
      (await deliveriesTo(db(), endpoint))
        .filter((delivery) => delivery.eventType === 'progress')
        .map((delivery) => delivery.payload.progress);
    const stored = await db()
      .select({ id: webhookMessages.id })
      .from(webhookMessages)
      .where(and(eq(webhookMessages.jobId, chatty!), eq(webhookMessages.eventType, 'progress')));
    // Reads of 100 entries at most: the thousand reports came in ten batches or more.
    expect(stored.length).toBeGreaterThanOrEqual(10);
    expect(await progressOf(progressEndpoint)).toEqual([1_000]);
    expect(await progressOf(allEndpoint)).toEqual([1_000]);
    const completed = (await deliveriesTo(db(), allEndpoint)).filter(
      (delivery) => delivery.eventType === 'completed',
    );
    expect(completed).toMatchObject([{ jobId: chatty }]);
  });

  it('makes nothing of system jobs, which have no owner', async () => {
    const owner = await seedUser(db());
    await addEndpoint(db(), owner, 'all');
    await runFanOut();
    const [system, owned] = await jobs.run(
      ['sweep', { steps: [50] }],
      ['report', { ownerId: owner }],
    );
    await fanOutCaughtUp(deps.redis, prefix);

    const messagesOf = (jobId: string) =>
      db().select().from(webhookMessages).where(eq(webhookMessages.jobId, jobId));
    expect(await messagesOf(system!)).toEqual([]);
    expect(await messagesOf(owned!)).toHaveLength(1);
  });

  it('finds the owner of a job already gone from Redis in job_runs, and skips a job neither knows', async () => {
    const owner = await seedUser(db());
    const endpoint = await addEndpoint(db(), owner, 'completed');
    const gone = { removeOnComplete: true };
    // Both jobs are removed before the fan-out reads their events.
    const [recorded, unknown] = await jobs.run(
      ['report', { ownerId: owner }, gone],
      ['report', { ownerId: owner }, gone],
    );
    await recordNewJobs(db(), [
      {
        queue: testQueue,
        jobId: recorded!,
        info: {
          name: 'recorded',
          ownerId: owner,
          payloadSummary: {},
          maxAttempts: 1,
          createdAt: Date.now(),
        },
      },
    ]);
    await runFanOut();
    await fanOutCaughtUp(deps.redis, prefix);

    const deliveries = await deliveriesTo(db(), endpoint);
    expect(deliveries.map((delivery) => delivery.payload)).toEqual([
      {
        id: recorded,
        jobname: 'recorded',
        userId: owner,
        result: { echo: 'report' },
        eventType: 'completed',
      },
    ]);
    const unknownMessages = await db()
      .select()
      .from(webhookDeliveries)
      .innerJoin(webhookMessages, eq(webhookMessages.id, webhookDeliveries.messageId))
      .where(
        and(eq(webhookDeliveries.endpointId, endpoint), inArray(webhookMessages.jobId, [unknown!])),
      );
    expect(unknownMessages).toEqual([]);
  });

  it('reads beside the job registry, each group at its own position in the streams', async () => {
    const owner = await seedUser(db());
    const endpoint = await addEndpoint(db(), owner, 'completed');
    const registry = createRegistryConsumer({
      redisUrl: deps.config.REDIS_URL,
      db: db(),
      prefix,
      queues: jobEventsQueues(),
      consumer: 'registry-1',
      logger: deps.logger,
      blockMs: 100,
    });
    await registry.start();
    try {
      await runFanOut();
      const [done] = await jobs.run(['report', { ownerId: owner }]);
      await fanOutCaughtUp(deps.redis, prefix);
      await waitUntil(
        async () => {
          const [run] = await db().select().from(jobRuns).where(eq(jobRuns.jobId, done!));
          return run?.state === 'completed';
        },
        { what: 'the registry to record the job' },
      );
      expect(await deliveriesTo(db(), endpoint)).toMatchObject([{ jobId: done }]);
    } finally {
      await registry.stop();
    }
  });
});
