import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareStreamIds, eventsStreamKey, parseStreamEntry } from '../src/events.js';
import { idleQueue, quickRetry, readEvents, startJobs, testQueue, type Jobs } from './fixtures.js';

const prefix = testPrefix();
let redis: Redis;
let jobs: Jobs;

beforeAll(() => {
  redis = new Redis(defaultTestRedisUrl);
  jobs = startJobs(prefix);
});
afterAll(async () => {
  await jobs.close();
  redis.disconnect();
  await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
});

describe('parseStreamEntry on what BullMQ writes', () => {
  it('reads added, waiting, active, progress and completed of a job that ran', async () => {
    const id = await jobs.add('progress', { steps: [40, 100] });
    await jobs.finished(id);
    const events = await readEvents(redis, prefix, testQueue, [id]);
    expect(events.map((event) => event.type)).toEqual([
      'added',
      'waiting',
      'active',
      'progress',
      'progress',
      'completed',
    ]);
    expect(events.filter((event) => event.type === 'progress').map((e) => e.progress)).toEqual([
      40, 100,
    ]);
    expect(events.at(-1)).toMatchObject({ queue: testQueue, jobId: id, result: 'done' });
    for (const event of events) {
      expect(event.at).toBe(Number(event.streamId.split('-')[0]));
    }
  });

  it('reads a structured progress and a structured result', async () => {
    const id = await jobs.add('ok');
    await jobs.finished(id);
    const completed = (await readEvents(redis, prefix, testQueue, [id])).at(-1);
    expect(completed).toMatchObject({ type: 'completed', result: { ok: true, attempt: 1 } });

    const job = await jobs.idle.add('manual', {}, { jobId: 'structured-progress' });
    await job.updateProgress({ done: 3, of: 10 });
    const progress = (await readEvents(redis, prefix, idleQueue, [job.id!])).at(-1);
    expect(progress).toMatchObject({ type: 'progress', progress: { done: 3, of: 10 } });
  });

  it('reads a final failure as failed that will not retry, and a retry as delayed', async () => {
    const broken = await jobs.add('broken', {}, quickRetry);
    const flaky = await jobs.add('flaky', {}, quickRetry);
    await Promise.all([jobs.finished(broken), jobs.finished(flaky)]);

    const brokenEvents = await readEvents(redis, prefix, testQueue, [broken]);
    expect(brokenEvents.map((event) => event.type)).toEqual([
      'added',
      'waiting',
      'active',
      'delayed',
      'waiting',
      'active',
      'failed',
    ]);
    expect(brokenEvents.at(-1)).toMatchObject({
      failedReason: 'broken for good',
      willRetry: false,
    });
    // BullMQ writes no `failed` entry for an attempt it retries.
    const flakyEvents = await readEvents(redis, prefix, testQueue, [flaky]);
    expect(flakyEvents.map((event) => event.type)).not.toContain('failed');
    expect(flakyEvents.at(-1)).toMatchObject({ type: 'completed', result: 'recovered' });
  });

  it('reads a delayed job and a removed one', async () => {
    const job = await jobs.idle.add('later', {}, { jobId: 'delayed-then-removed', delay: 60_000 });
    await job.remove();
    const events = await readEvents(redis, prefix, idleQueue, [job.id!]);
    expect(events.map((event) => event.type)).toEqual(['added', 'delayed', 'removed']);
  });

  it('ignores queue-wide entries and the ones that repeat another', () => {
    expect(parseStreamEntry(testQueue, '1-0', ['event', 'drained'])).toBeNull();
    expect(parseStreamEntry(testQueue, '1-0', ['event', 'paused'])).toBeNull();
    expect(
      parseStreamEntry(testQueue, '1-0', [
        'event',
        'retries-exhausted',
        'jobId',
        'a',
        'attemptsMade',
        '2',
      ]),
    ).toBeNull();
    expect(parseStreamEntry(testQueue, '1-0', ['event', 'stalled', 'jobId', 'a'])).toBeNull();
  });

  it('keeps a result that is not JSON as text, and wraps a progress that is not an object', () => {
    const completed = [
      'event',
      'completed',
      'jobId',
      'a',
      'returnvalue',
      'not json',
      'prev',
      'active',
    ];
    expect(parseStreamEntry(testQueue, '5-1', completed)).toEqual({
      streamId: '5-1',
      queue: testQueue,
      jobId: 'a',
      type: 'completed',
      at: 5,
      result: 'not json',
    });
    const progress = ['event', 'progress', 'jobId', 'a', 'data', '"halfway"'];
    expect(parseStreamEntry(testQueue, '5-2', progress)?.progress).toEqual({ value: 'halfway' });
  });
});

describe('stream keys and ids', () => {
  it('names the stream BullMQ writes', () => {
    expect(eventsStreamKey('{conveyor}', testQueue)).toBe('{conveyor}:media-preview:events');
  });

  it('orders ids by number, not by text', () => {
    expect(compareStreamIds('999-0', '1000-0')).toBeLessThan(0);
    expect(compareStreamIds('1000-10', '1000-9')).toBeGreaterThan(0);
    expect(compareStreamIds('1000-1', '1000-1')).toBe(0);
  });
});
