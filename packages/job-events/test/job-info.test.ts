import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobInfoReader, jobKey } from '../src/job-info.js';
import { connection, idleQueue } from './fixtures.js';

const prefix = testPrefix();
let redis: Redis;
let queue: Queue;

beforeAll(() => {
  redis = new Redis(defaultTestRedisUrl);
  queue = new Queue(idleQueue, { connection, prefix });
});
afterAll(async () => {
  await queue.close();
  redis.disconnect();
  await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
});

describe('createJobInfoReader', () => {
  it('reads name, owner, attempts, creation time and a short, secret-free payload summary', async () => {
    const data = {
      ownerId: 'alice',
      long: 'x'.repeat(500),
      count: 3,
      flag: true,
      nested: { deep: 1 },
      list: [1, 2],
      apiKey: 'sk-live-123',
      authToken: 'abc',
      ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`field${i}`, i])),
    };
    const job = await queue.add('preview.render', data, { jobId: 'info-1', attempts: 4 });
    const info = await createJobInfoReader(redis, prefix)(idleQueue, 'info-1');
    expect(info).toEqual({
      name: 'preview.render',
      ownerId: 'alice',
      maxAttempts: 4,
      createdAt: job.timestamp,
      payloadSummary: {
        long: 'x'.repeat(100),
        count: 3,
        flag: true,
        field0: 0,
        field1: 1,
        field2: 2,
        field3: 3,
        field4: 4,
        field5: 5,
        field6: 6,
      },
    });
  });

  it('reads a system job without owner with one attempt by default', async () => {
    await queue.add('system.sweep', {}, { jobId: 'info-2' });
    expect(await createJobInfoReader(redis, prefix)(idleQueue, 'info-2')).toMatchObject({
      ownerId: null,
      maxAttempts: 1,
      payloadSummary: {},
    });
  });

  it('answers from its cache after the first read, and shares a read in flight', async () => {
    await queue.add('cached', { ownerId: 'bob' }, { jobId: 'info-3' });
    const read = createJobInfoReader(redis, prefix);
    const [first, second] = await Promise.all([
      read(idleQueue, 'info-3'),
      read(idleQueue, 'info-3'),
    ]);
    expect(second).toBe(first);
    await redis.del(jobKey(prefix, idleQueue, 'info-3'));
    expect(await read(idleQueue, 'info-3')).toBe(first);
  });

  it('reads a job that is gone as null, and finds it once it exists', async () => {
    const read = createJobInfoReader(redis, prefix);
    expect(await read(idleQueue, 'info-4')).toBeNull();
    await queue.add('late', {}, { jobId: 'info-4' });
    expect(await read(idleQueue, 'info-4')).toMatchObject({ name: 'late' });
  });

  it('forgets the least recently used job past its size', async () => {
    await queue.add('a', {}, { jobId: 'lru-a' });
    await queue.add('b', {}, { jobId: 'lru-b' });
    const read = createJobInfoReader(redis, prefix, { cacheSize: 1 });
    await read(idleQueue, 'lru-a');
    await read(idleQueue, 'lru-b');
    await redis.del(jobKey(prefix, idleQueue, 'lru-a'), jobKey(prefix, idleQueue, 'lru-b'));
    expect(await read(idleQueue, 'lru-b')).toMatchObject({ name: 'b' });
    expect(await read(idleQueue, 'lru-a')).toBeNull();
  });
});
