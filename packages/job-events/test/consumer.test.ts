import { createDb, type DbHandle } from '@conveyor/db/client';
import { jobRuns, users } from '@conveyor/db/schema';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { waitUntil } from '@conveyor/test-harness/ports';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { inArray } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventsStreamKey, parseStreamEntry, type JobEvent } from '../src/events.js';
import { createJobInfoReader } from '../src/job-info.js';
import {
  applyJobEvents,
  createRegistryConsumer,
  jobEventsQueues,
  type RegistryConsumer,
  type RegistryConsumerOptions,
} from '../src/registry.js';
import {
  quickRetry,
  readEvents,
  silentLogger,
  startJobs,
  testQueue,
  type Jobs,
} from './fixtures.js';

let database: TestDatabase;
let handle: DbHandle;
let redis: Redis;
let prefix: string;
let jobs: Jobs;
const consumers: RegistryConsumer[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  handle = createDb(database.url, { max: 6 });
  await handle.db.insert(users).values({ id: 'alice', role: 'CREATOR' });
  redis = new Redis(defaultTestRedisUrl);
});
afterAll(async () => {
  redis.disconnect();
  await handle.close();
  await database.drop();
});
beforeEach(() => {
  prefix = testPrefix();
  jobs = startJobs(prefix);
});
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
  await jobs.close();
  await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
});

const group = 'job-registry';
const streamKey = () => eventsStreamKey(prefix, testQueue);

function startConsumer(consumer: string, options: Partial<RegistryConsumerOptions> = {}) {
  const registry = createRegistryConsumer({
    redisUrl: defaultTestRedisUrl,
    db: handle.db,
    prefix,
    queues: jobEventsQueues(),
    consumer,
    logger: silentLogger(),
    blockMs: 100,
    claimIdleMs: 3_000,
    ...options,
  });
  consumers.push(registry);
  return registry;
}

async function addJobs(count: number, name = 'progress', options = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    ids.push(await jobs.add(name, { ownerId: 'alice', steps: [50, 100] }, options));
  }
  await Promise.all(ids.map((id) => jobs.finished(id)));
  return ids;
}

const rowsOf = (ids: string[]) =>
  handle.db.select().from(jobRuns).where(inArray(jobRuns.jobId, ids));

/** Waits until every job's row holds the last event of its job: nothing is left to apply. */
async function caughtUp(ids: string[]): Promise<JobEvent[]> {
  const events = await readEvents(redis, prefix, testQueue, ids);
  const last = new Map(events.map((event) => [event.jobId, event.streamId]));
  await waitUntil(
    async () => {
      const rows = await rowsOf(ids);
      return rows.length === ids.length && rows.every((r) => r.lastEventId === last.get(r.jobId));
    },
    { what: 'job_runs to catch up with the stream' },
  );
  return events;
}

/** Every run done once: completed, one attempt (an `active` applied twice would count two). */
async function expectRunsDoneOnce(ids: string[], events: JobEvent[]) {
  const rows = await rowsOf(ids);
  for (const run of rows) {
    const active = events.find((e) => e.jobId === run.jobId && e.type === 'active')!;
    expect(run).toMatchObject({ state: 'completed', attemptsMade: 1, progress: 100 });
    expect(run.startedAt!.getTime()).toBe(active.at);
  }
}

const pendingCount = async () => {
  const [count] = (await redis.xpending(streamKey(), group)) as [number];
  return count;
};

describe('createRegistryConsumer', () => {
  it('applies what the streams held before it started and what comes after, then acks it', async () => {
    const before = await addJobs(3, 'broken', quickRetry);
    await startConsumer('c-1').start();
    const after = await addJobs(3);
    const events = await caughtUp([...before, ...after]);
    for (const run of await rowsOf(before)) {
      expect(run).toMatchObject({
        state: 'failed',
        attemptsMade: 2,
        failedReason: 'broken for good',
      });
    }
    await expectRunsDoneOnce(after, events);
    await waitUntil(async () => (await pendingCount()) === 0, { what: 'no pending entries' });
  });

  it('stopped mid-stream and started again under its name, applies every event exactly once', async () => {
    const early = await addJobs(8);
    const first = startConsumer('c-1', { batchSize: 3 });
    await first.start();
    await waitUntil(async () => (await rowsOf(early)).length > 0, {
      what: 'a first batch',
      intervalMs: 5,
    });
    await first.stop();
    // It stopped with a backlog left (16 batches of 3 entries take longer than one poll).
    const done = (await rowsOf(early)).filter((run) => run.state === 'completed');
    expect(done.length).toBeLessThan(early.length);
    const late = await addJobs(8);
    await startConsumer('c-1', { batchSize: 3 }).start();
    const events = await caughtUp([...early, ...late]);
    await expectRunsDoneOnce([...early, ...late], events);
  });

  it('after a crash between applying and acknowledging, replays its pending entries harmlessly', async () => {
    const ids = await addJobs(4);
    await redis.xgroup('CREATE', streamKey(), group, '0', 'MKSTREAM');
    // The crashed instance read the entries and applied them, but died before XACK.
    const reply = (await redis.call(
      'XREADGROUP',
      'GROUP',
      group,
      'c-crash',
      'COUNT',
      1_000,
      'STREAMS',
      streamKey(),
      '>',
    )) as [string, [string, string[]][]][];
    const entries = reply[0]![1];
    const readInfo = createJobInfoReader(redis, prefix);
    const events = entries.flatMap(([id, fields]) => parseStreamEntry(testQueue, id, fields) ?? []);
    await applyJobEvents(
      handle.db,
      await Promise.all(
        events.map(async (event) => ({ event, info: await readInfo(testQueue, event.jobId) })),
      ),
    );
    expect(await pendingCount()).toBe(entries.length);

    await startConsumer('c-crash').start();
    await waitUntil(async () => (await pendingCount()) === 0, { what: 'the replay to be acked' });
    await expectRunsDoneOnce(ids, await caughtUp(ids));
  });

  it('claims the entries a dead consumer read but never acknowledged', async () => {
    const ids = await addJobs(4);
    await redis.xgroup('CREATE', streamKey(), group, '0', 'MKSTREAM');
    await redis.xreadgroup('GROUP', group, 'c-dead', 'COUNT', 1_000, 'STREAMS', streamKey(), '>');
    // It died holding the lead, which runs out like its entries' idle time.
    await redis.set(`${prefix}:${group}:leader`, 'c-dead', 'PX', 300);

    await startConsumer('c-alive', { claimIdleMs: 300 }).start();
    await expectRunsDoneOnce(ids, await caughtUp(ids));
    const [, , , owners] = (await redis.xpending(streamKey(), group)) as [
      number,
      string | null,
      string | null,
      [string, string][] | null,
    ];
    expect(owners ?? []).toEqual([]);
  });

  it('makes its group again when Redis lost it, and reads on', async () => {
    await startConsumer('c-1').start();
    await caughtUp(await addJobs(2));
    // As after a Redis restart without persistence, or a queue obliterated.
    await redis.del(streamKey());
    const ids = await addJobs(2);
    await expectRunsDoneOnce(ids, await caughtUp(ids));
  });

  it('lets one consumer read at a time, and another take over when it stops', async () => {
    const a = startConsumer('c-a');
    const b = startConsumer('c-b');
    await Promise.all([a.start(), b.start()]);
    const first = await addJobs(4);
    await caughtUp(first);
    const leader = await redis.get(`${prefix}:${group}:leader`);
    expect(['c-a', 'c-b']).toContain(leader);
    await (leader === 'c-a' ? a : b).stop();
    const second = await addJobs(4);
    const events = await caughtUp([...first, ...second]);
    await expectRunsDoneOnce([...first, ...second], events);
    expect(await redis.get(`${prefix}:${group}:leader`)).not.toBe(leader);
  });
});
