import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { eventsStreamKey, parseStreamEntry } from '@conveyor/job-events/events';
import { createJobInfoReader } from '@conveyor/job-events/job-info';
import type { StreamGroupConsumer } from '@conveyor/job-events/stream-consumer';
import { waitUntil } from '@conveyor/test-harness/ports';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fanOutBatch } from '../../src/fanout/fan-out-batch.js';
import { FAN_OUT_GROUP } from '../../src/fanout/fan-out.js';
import {
  addEndpoint,
  countRows,
  createDeps,
  deliveriesTo,
  fanOutCaughtUp,
  groupState,
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
const fanOuts: StreamGroupConsumer[] = [];

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
  await Promise.all(fanOuts.splice(0).map((fanOut) => fanOut.stop()));
  await jobs.close();
  await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
});

const db = () => deps.db.db;
const streamKey = () => eventsStreamKey(prefix, testQueue);

async function run(workerName: string, options: Parameters<typeof startFanOut>[3] = {}) {
  const fanOut = await startFanOut(deps, prefix, workerName, options);
  fanOuts.push(fanOut);
  return fanOut;
}

/** What a fan-out instance did before it died: read every entry as `consumer`, acked none. */
async function readWithoutAck(consumer: string) {
  await deps.redis.xgroup('CREATE', streamKey(), FAN_OUT_GROUP, '0', 'MKSTREAM');
  const reply = (await deps.redis.call(
    'XREADGROUP',
    'GROUP',
    FAN_OUT_GROUP,
    consumer,
    'COUNT',
    1_000,
    'STREAMS',
    streamKey(),
    '>',
  )) as [string, [string, string[]][]][];
  const entries = reply[0]![1];
  const events = entries.flatMap(([id, fields]) => parseStreamEntry(testQueue, id, fields) ?? []);
  return { entries: entries.length, events };
}

/** `count` deliveries to the endpoint, of the jobs' events, none of them twice. */
async function expectDeliveredOnce(endpoint: number, jobIds: readonly string[], count: number) {
  const deliveries = await deliveriesTo(db(), endpoint);
  expect(new Set(deliveries.map((delivery) => delivery.messageId)).size).toBe(deliveries.length);
  expect(deliveries).toHaveLength(count);
  expect(new Set(deliveries.map((delivery) => delivery.jobId))).toEqual(new Set(jobIds));
}

describe('the webhook fan-out across crashes, restarts and instances', () => {
  it('replays what it enqueued but never acknowledged without a duplicate, however often', async () => {
    const owner = await seedUser(db());
    const endpoint = await addEndpoint(db(), owner, 'all');
    const ids = await jobs.run(
      ['report', { ownerId: owner, steps: [30, 60] }],
      ['report', { ownerId: owner, fail: 'no luck' }],
    );
    const { entries, events } = await readWithoutAck('fan-out-1');
    const context = { db: db(), logger: deps.logger };
    await fanOutBatch(context, events, createJobInfoReader(deps.redis, prefix));
    const before = await countRows(db());
    expect(before.deliveries).toBe(3);
    expect((await groupState(deps.redis, prefix)).pending).toBe(entries);

    // The same entries handled again by hand, then by the instance restarted under its name.
    await fanOutBatch(context, events, createJobInfoReader(deps.redis, prefix));
    await run('fan-out-1');
    await fanOutCaughtUp(deps.redis, prefix);
    expect(await countRows(db())).toEqual(before);
    // The first job's progress (coalesced) and completion, the second one's failure.
    await expectDeliveredOnce(endpoint, ids, 3);
  });

  it('claims what a dead instance read but never acknowledged', async () => {
    const owner = await seedUser(db());
    const endpoint = await addEndpoint(db(), owner, 'completed');
    const ids = await jobs.run(
      ['report', { ownerId: owner }],
      ['report', { ownerId: owner }],
      ['report', { ownerId: owner }],
    );
    await readWithoutAck('fan-out-dead');
    // It died holding the lead, which runs out like its entries' idle time.
    await deps.redis.set(`${prefix}:${FAN_OUT_GROUP}:leader`, 'fan-out-dead', 'PX', 300);

    await run('fan-out-alive', { claimIdleMs: 300 });
    await fanOutCaughtUp(deps.redis, prefix);
    await expectDeliveredOnce(endpoint, ids, ids.length);
  });

  it('stopped mid-stream and started again, makes every delivery once', async () => {
    const owner = await seedUser(db());
    const endpoint = await addEndpoint(db(), owner, 'completed');
    const early = await jobs.run(
      ...Array.from({ length: 12 }, (): Parameters<TestJobs['add']> => [
        'report',
        { ownerId: owner, steps: [50] },
      ]),
    );
    const first = await run('fan-out-1', { batchSize: 2 });
    await waitUntil(async () => (await deliveriesTo(db(), endpoint)).length > 0, {
      what: 'a first batch',
      intervalMs: 5,
    });
    await first.stop();
    // It stopped with a backlog left (about 40 batches of two entries take longer than a poll).
    expect((await deliveriesTo(db(), endpoint)).length).toBeLessThan(early.length);

    const late = await jobs.run(['report', { ownerId: owner }], ['report', { ownerId: owner }]);
    await run('fan-out-1', { batchSize: 2 });
    await fanOutCaughtUp(deps.redis, prefix);
    const all = [...early, ...late];
    await expectDeliveredOnce(endpoint, all, all.length);
  });

  it('lets one instance read at a time, and another take over when it stops', async () => {
    const owner = await seedUser(db());
    const endpoint = await addEndpoint(db(), owner, 'completed');
    const [a, b] = await Promise.all([run('fan-out-a'), run('fan-out-b')]);
    const first = await jobs.run(['report', { ownerId: owner }], ['report', { ownerId: owner }]);
    await fanOutCaughtUp(deps.redis, prefix);
    const leaderKey = `${prefix}:${FAN_OUT_GROUP}:leader`;
    const leader = await deps.redis.get(leaderKey);
    expect(['fan-out-a', 'fan-out-b']).toContain(leader);

    await (leader === 'fan-out-a' ? a : b).stop();
    const second = await jobs.run(['report', { ownerId: owner }], ['report', { ownerId: owner }]);
    await fanOutCaughtUp(deps.redis, prefix);
    expect(await deps.redis.get(leaderKey)).not.toBe(leader);
    const all = [...first, ...second];
    await expectDeliveredOnce(endpoint, all, all.length);
  });
});
