import { createDb, type DbHandle } from '@conveyor/db/client';
import { digestDeliveries, digestRuns } from '@conveyor/db/schema';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { allNotificationTypes } from '@conveyor/notifications/model';
import { createNotification, createUser } from '@conveyor/notifications/testing';
import { QueueName } from '@conveyor/queue-contracts';
import { createProducer, type Producer } from '@conveyor/queue-contracts/producer';
import { createLogger } from '@conveyor/runtime/logger';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chunkJobId } from '../src/chunk-jobs.js';
import { loadConfig } from '../src/config.js';
import { tickDigests, type TickDeps } from '../src/processors/tick.js';

let database: TestDatabase;
let handle: DbHandle;
let producer: Producer;
const prefix = testPrefix();
const db = () => handle.db;

beforeAll(async () => {
  database = await createTestDatabase();
  handle = createDb(database.url, { max: 3 });
  producer = createProducer({ connection: { host: '127.0.0.1', port: 6379 }, prefix });
});
afterAll(async () => {
  await producer.close();
  await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
  await handle.close();
  await database.drop();
});
beforeEach(async () => {
  await db().execute(sql`truncate digest_ticks, digest_runs, digest_deliveries cascade`);
  await db().execute(sql`delete from users`);
});

function deps(now: string): TickDeps {
  return {
    db: db(),
    producer,
    config: loadConfig({ CLAIM_LEASE_SECONDS: '31' }),
    logger: createLogger({ app: 'test', level: 'silent', pretty: false }),
    now: () => new Date(now),
  };
}

async function plannedSubscriber() {
  const user = await createUser(db(), {
    preferences: {
      digestFrequency: 'DAILY',
      emailEnabled: true,
      enabledTypes: [...allNotificationTypes],
    },
  });
  await createNotification(db(), { userId: user.id, createdAt: new Date('2026-03-10T08:00:00Z') });
  return user;
}

describe('digest.tick', () => {
  it('plans the hour and queues one job per chunk', async () => {
    await plannedSubscriber();
    expect(await tickDigests(deps('2026-03-10T09:00:05Z'), {})).toEqual({
      hoursPlanned: 1,
      runsPlanned: 1,
      chunksEnqueued: 1,
    });
    const [run] = await db().select().from(digestRuns);
    const job = await producer
      .queue(QueueName.notificationDigest)
      .getJob(chunkJobId({ runId: run!.id, chunk: 0 }));
    expect(job?.data).toEqual({ runId: run!.id, chunk: 0 });
    expect(await tickDigests(deps('2026-03-10T09:30:00Z'), {})).toEqual({
      hoursPlanned: 0,
      runsPlanned: 0,
      chunksEnqueued: 0,
    });
  });

  it('settles a dead worker’s digest as failed and finishes the run it was the last of', async () => {
    await plannedSubscriber();
    await tickDigests(deps('2026-03-10T09:00:05Z'), {});
    await db().execute(sql`update ${digestDeliveries}
      set status = 'sending', attempts = 1, claimed_at = now() - interval '1 minute'`);

    await tickDigests(deps('2026-03-10T10:00:05Z'), {});

    const [delivery] = await db().select().from(digestDeliveries);
    expect(delivery).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/^interrupted/),
    });
    const runs = await db()
      .select()
      .from(digestRuns)
      .where(sql`${digestRuns.frequency} = 'DAILY'`);
    expect(runs.every((run) => run.finishedAt instanceof Date)).toBe(true);
  });

  it('hands an open chunk whose job is gone back to the queue', async () => {
    await plannedSubscriber();
    await tickDigests(deps('2026-03-10T09:00:05Z'), {});
    const [run] = await db().select().from(digestRuns);
    const queue = producer.queue(QueueName.notificationDigest);
    const jobId = chunkJobId({ runId: run!.id, chunk: 0 });
    await queue.remove(jobId);
    // Planned long enough ago that its first job should have sent it.
    await db().execute(
      sql`update ${digestDeliveries} set created_at = now() - interval '20 minutes'`,
    );

    expect(await tickDigests(deps('2026-03-10T10:00:05Z'), {})).toMatchObject({
      chunksEnqueued: 1,
    });
    expect(await queue.getJobState(jobId)).toBe('waiting');
  });
});
