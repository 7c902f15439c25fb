import { randomUUID } from 'node:crypto';
import type { Database } from '@conveyor/db/client';
import { users, webhookDeliveries, webhookEndpoints, webhookMessages } from '@conveyor/db/schema';
import { eventsStreamKey } from '@conveyor/job-events/events';
import type { StreamGroupConsumer } from '@conveyor/job-events/stream-consumer';
import { JobMetaSchema, QueueName } from '@conveyor/queue-contracts';
import { redisOptions } from '@conveyor/runtime/redis';
import { waitUntil } from '@conveyor/test-harness/ports';
import { defaultTestRedisUrl } from '@conveyor/test-harness/redis';
import { generateSecret } from '@conveyor/webhooks/secrets';
import type { WorkerDeps } from '@conveyor/worker-kit/main';
import { createTestWorkerDeps } from '@conveyor/worker-kit/testing';
import { Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import { asc, eq } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { loadConfig, type Config } from '../../src/config.js';
import { createFanOut, FAN_OUT_GROUP, type FanOutOptions } from '../../src/fanout/fan-out.js';

/** The queue the test jobs run on: no worker of the platform consumes it in these tests. */
export const testQueue = QueueName.mediaPreview;

const redisUrl = process.env.REDIS_URL ?? defaultTestRedisUrl;
const connection = () => {
  const url = new URL(redisUrl);
  return { host: url.hostname, port: Number(url.port || 6379) };
};

/** A job of the test's own: reports each of `steps` as its progress, then fails or returns. */
export const TestPayload = JobMetaSchema.extend({
  steps: z.array(z.number()).default([]),
  fail: z.string().optional(),
});

async function processor(job: Job<unknown>): Promise<unknown> {
  const payload = TestPayload.parse(job.data);
  for (const step of payload.steps) await job.updateProgress(step);
  if (payload.fail !== undefined) throw new Error(payload.fail);
  return { echo: job.name };
}

export interface TestJobs {
  /** Adds a job (payload parsed first, as producers do) under a UUID id; answers the id. */
  add(name: string, payload: z.input<typeof TestPayload>, options?: JobsOptions): Promise<string>;
  /** Adds the jobs and waits until BullMQ has finished each, either way. */
  run(
    ...jobs: [name: string, payload: z.input<typeof TestPayload>, options?: JobsOptions][]
  ): Promise<string[]>;
  close(): Promise<void>;
}

/** A real BullMQ queue and worker under `prefix`, running the test jobs. */
export function startTestJobs(prefix: string): TestJobs {
  const queue = new Queue(testQueue, { connection: connection(), prefix });
  const worker = new Worker(testQueue, processor, {
    connection: { ...connection(), ...redisOptions('worker') },
    prefix,
    concurrency: 4,
  });
  queue.on('error', () => undefined);
  worker.on('error', () => undefined);
  const add: TestJobs['add'] = async (name, payload, options = {}) => {
    const job = await queue.add(name, TestPayload.parse(payload), {
      jobId: randomUUID(),
      attempts: 1,
      ...options,
    });
    return job.id!;
  };
  return {
    add,
    async run(...jobs) {
      const ids = await Promise.all(jobs.map((args) => add(...args)));
      await waitUntil(
        async () => {
          const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
          // A job removed on completion reads as `unknown`: it is finished too.
          return states.every((state) => ['completed', 'failed', 'unknown'].includes(state));
        },
        { what: 'the test jobs to finish' },
      );
      return ids;
    },
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}

export type TestDeps = WorkerDeps<Config>;

/** The worker's deps as `runWorker` builds them, on the test's own database. */
export async function createDeps(databaseUrl: string) {
  return createTestWorkerDeps({
    name: 'webhook-worker',
    loadConfig,
    env: { REDIS_URL: redisUrl, DATABASE_URL: databaseUrl },
    ...(process.env.TEST_LOG_LEVEL ? { logLevel: process.env.TEST_LOG_LEVEL } : {}),
  });
}

/** Starts the fan-out on `prefix`, with reads short enough for tests. */
export async function startFanOut(
  deps: TestDeps,
  prefix: string,
  workerName = 'fan-out-1',
  options: FanOutOptions = {},
): Promise<StreamGroupConsumer> {
  const fanOut = createFanOut(
    { ...deps, config: { ...deps.config, BULL_PREFIX: prefix }, workerName },
    { blockMs: 100, claimIdleMs: 3_000, ...options },
  );
  await fanOut.start();
  return fanOut;
}

const fieldPairs = (fields: unknown[]): [unknown, unknown][] =>
  Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]]);

/** The fan-out group's read position and pending count on the test queue's stream. */
export async function groupState(redis: Redis, prefix: string) {
  const groups = (await redis.xinfo('GROUPS', eventsStreamKey(prefix, testQueue))) as unknown[][];
  const group = groups
    .map((fields) => new Map(fieldPairs(fields)))
    .find((fields) => fields.get('name') === FAN_OUT_GROUP);
  return {
    lastDeliveredId: group?.get('last-delivered-id') as string | undefined,
    pending: (group?.get('pending') as number | undefined) ?? 0,
  };
}

/** Resolves once the fan-out has handled and acknowledged every entry of the test stream. */
export async function fanOutCaughtUp(redis: Redis, prefix: string, timeoutMs = 10_000) {
  const key = eventsStreamKey(prefix, testQueue);
  await waitUntil(
    async () => {
      const [newest] = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
      const { lastDeliveredId, pending } = await groupState(redis, prefix);
      return newest !== undefined && lastDeliveredId === newest[0] && pending === 0;
    },
    { what: 'the fan-out to catch up', timeoutMs },
  );
}

/** A user of the test's own, so tests sharing a database never see each other's rows. */
export async function seedUser(db: Database, webhookUrl?: string): Promise<string> {
  const id = `user-${randomUUID()}`;
  await db.insert(users).values({ id, role: 'CREATOR', webhookUrl: webhookUrl ?? null });
  return id;
}

export async function addEndpoint(
  db: Database,
  ownerId: string,
  eventType: 'progress' | 'completed' | 'failed' | 'all',
  active = true,
): Promise<number> {
  const [row] = await db
    .insert(webhookEndpoints)
    .values({
      ownerId,
      url: `https://hooks.example.com/${ownerId}/${eventType}`,
      eventType,
      active,
      secret: generateSecret(),
    })
    .returning({ id: webhookEndpoints.id });
  return row!.id;
}

/** An endpoint's deliveries with their messages' bodies parsed, oldest first. */
export async function deliveriesTo(db: Database, endpointId: number) {
  const rows = await db
    .select({
      id: webhookDeliveries.id,
      messageId: webhookDeliveries.messageId,
      ownerId: webhookMessages.ownerId,
      jobId: webhookMessages.jobId,
      eventType: webhookMessages.eventType,
      body: webhookMessages.body,
    })
    .from(webhookDeliveries)
    .innerJoin(webhookMessages, eq(webhookMessages.id, webhookDeliveries.messageId))
    .where(eq(webhookDeliveries.endpointId, endpointId))
    .orderBy(asc(webhookDeliveries.id));
  return rows.map((row) => ({ ...row, payload: JSON.parse(row.body) as Record<string, unknown> }));
}

/** Every delivery and message in the database: a replay must leave both as they were. */
export async function countRows(db: Database) {
  const [deliveries, messages] = await Promise.all([
    db.$count(webhookDeliveries),
    db.$count(webhookMessages),
  ]);
  return { deliveries, messages };
}
