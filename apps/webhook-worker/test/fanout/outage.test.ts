import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import type { StreamGroupConsumer } from '@conveyor/job-events/stream-consumer';
import { waitUntil } from '@conveyor/test-harness/ports';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { startPrivatePostgres, type PrivateServer } from '@conveyor/test-harness/servers';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addEndpoint,
  createDeps,
  deliveriesTo,
  fanOutCaughtUp,
  groupState,
  seedUser,
  startFanOut,
  startTestJobs,
  type TestDeps,
  type TestJobs,
} from './fixtures.js';

// The outage is a PostgreSQL server of the test's own: the shared one is never stopped.
let server: PrivateServer;
let database: TestDatabase;
let deps: TestDeps;
let closeDeps: () => Promise<void>;
const prefix = testPrefix();
let jobs: TestJobs;
let fanOut: StreamGroupConsumer | undefined;

beforeAll(async () => {
  server = await startPrivatePostgres();
  database = await createTestDatabase(server.url);
  ({ deps, close: closeDeps } = await createDeps(database.url));
  jobs = startTestJobs(prefix);
}, 90_000);
afterAll(async () => {
  await fanOut?.stop();
  await jobs.close();
  await closeDeps();
  await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
  await server.destroy();
});

describe('the webhook fan-out while PostgreSQL is away', () => {
  it('leaves the events it read pending, and enqueues them once PostgreSQL is back', async () => {
    const db = deps.db.db;
    const owner = await seedUser(db);
    const endpoint = await addEndpoint(db, owner, 'all');
    fanOut = await startFanOut(deps, prefix);
    // The private server commits asynchronously (synchronous_commit=off) and dies by SIGKILL:
    // without a checkpoint, the seed could still sit in WAL buffers and be lost with it.
    await db.execute(sql`checkpoint`);

    await server.stop();
    const ids = await jobs.run(
      ['report', { ownerId: owner, steps: [100] }],
      ['report', { ownerId: owner, fail: 'down with the database' }],
    );
    // Read, not acknowledged, and still so after a few retries.
    await waitUntil(async () => (await groupState(deps.redis, prefix)).pending > 0, {
      what: 'the fan-out to read the events',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await groupState(deps.redis, prefix)).pending).toBeGreaterThan(0);

    await server.start();
    await fanOutCaughtUp(deps.redis, prefix, 20_000);
    const deliveries = await deliveriesTo(db, endpoint);
    expect(deliveries.map((delivery) => [delivery.jobId, delivery.eventType]).sort()).toEqual(
      [
        [ids[0], 'completed'],
        [ids[0], 'progress'],
        [ids[1], 'failed'],
      ].sort(),
    );
  }, 40_000);
});
