import { waitUntil } from '@conveyor/test-harness/ports';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventsStreamKey, type JobEvent } from '../src/events.js';
import { jobEventsQueues } from '../src/registry.js';
import {
  applyIsolated,
  createStreamGroupConsumer,
  type JobEventsHandler,
  type StreamGroupConsumer,
} from '../src/stream-consumer.js';
import { readEvents, silentLogger, startJobs, testQueue, type Jobs } from './fixtures.js';

let redis: Redis;
let prefix: string;
let jobs: Jobs;
const consumers: StreamGroupConsumer[] = [];

beforeAll(() => {
  redis = new Redis(defaultTestRedisUrl);
});
afterAll(() => {
  redis.disconnect();
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

async function startConsumer(group: string, handle: JobEventsHandler) {
  const consumer = createStreamGroupConsumer({
    redisUrl: defaultTestRedisUrl,
    prefix,
    queues: jobEventsQueues(),
    group,
    consumer: 'c-1',
    logger: silentLogger(),
    handle,
    blockMs: 100,
    claimIdleMs: 3_000,
  });
  consumers.push(consumer);
  await consumer.start();
}

async function runJobs(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) ids.push(await jobs.add('progress', { steps: [50, 100] }));
  await Promise.all(ids.map((id) => jobs.finished(id)));
  return ids;
}

const pendingOf = async (group: string) => {
  const [count] = (await redis.xpending(eventsStreamKey(prefix, testQueue), group)) as [number];
  return count;
};

const idsOf = (events: readonly JobEvent[]) => events.map((event) => event.streamId);

describe('createStreamGroupConsumer', () => {
  it('hands every event to each group once, each group reading on its own', async () => {
    const seen = new Map<string, JobEvent[]>([
      ['g-a', []],
      ['g-b', []],
    ]);
    for (const [group, events] of seen) {
      await startConsumer(group, async (batch) => {
        events.push(...batch);
      });
    }
    const ids = await runJobs(3);
    const expected = idsOf(await readEvents(redis, prefix, testQueue, ids));
    for (const [group, events] of seen) {
      await waitUntil(
        async () => events.length >= expected.length && (await pendingOf(group)) === 0,
        {
          what: `group ${group} to read every event`,
        },
      );
      expect(idsOf(events)).toEqual(expected);
    }
  });

  it('hands a batch whose handler failed over again, acknowledging it only once handled', async () => {
    const ids = await runJobs(2);
    const attempts: string[][] = [];
    const handled: JobEvent[] = [];
    const names: (string | undefined)[] = [];
    await startConsumer('g-flaky', async (batch, readInfo) => {
      attempts.push(idsOf(batch));
      if (attempts.length <= 2) throw new Error('the database is away');
      names.push((await readInfo(testQueue, ids[0]!))?.name);
      handled.push(...batch);
    });
    await waitUntil(async () => handled.length > 0 && (await pendingOf('g-flaky')) === 0, {
      what: 'the batch to be handled at last',
    });
    // The same entries, in the same order, each time until one succeeded.
    expect(attempts[1]).toEqual(attempts[0]);
    expect(attempts[2]).toEqual(attempts[0]);
    expect(idsOf(handled)).toEqual(idsOf(await readEvents(redis, prefix, testQueue, ids)));
    // Each batch comes with the job-info reader of the group's own connection.
    expect(names).toEqual(['progress']);
  });
});

describe('applyIsolated', () => {
  const refusal = (code: string) => Object.assign(new Error(`refused (${code})`), { code });

  it('skips only the groups whose data the database refuses', async () => {
    const applied: string[][] = [];
    const refused: string[][] = [];
    await applyIsolated(['a1', 'b1', 'a2', 'c1'], {
      apply: async (items) => {
        if (items.some((item) => item.startsWith('b'))) throw refusal('23503');
        applied.push(items);
      },
      groupOf: (item) => item.slice(0, 1),
      onRefused: (items) => refused.push(items),
    });
    expect(applied).toEqual([['a1', 'a2'], ['c1']]);
    expect(refused).toEqual([['b1']]);
  });

  it('throws any other failure, so that the batch stays pending', async () => {
    const apply = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    };
    await expect(
      applyIsolated(['a1'], { apply, groupOf: () => 'a', onRefused: () => undefined }),
    ).rejects.toThrow('ECONNREFUSED');
  });
});
