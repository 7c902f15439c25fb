import { type JobDefinition, QueueName } from '@conveyor/queue-contracts';
import { createLogger } from '@conveyor/runtime/logger';
import { createMetricsRegistry } from '@conveyor/runtime/metrics';
import { redisOptions } from '@conveyor/runtime/redis';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { waitUntil } from '@conveyor/test-harness/ports';
import { Queue, QueueEvents } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bindProcessor, createQueueWorker, type QueueWorker } from '../src/worker.js';

const connection = { host: '127.0.0.1', port: 6379 };
const logger = createLogger({ app: 'test', level: 'silent', pretty: false });

/** A job of the test's own on a real queue name, so the catalog stays the product's. */
const double: JobDefinition = {
  queue: QueueName.notificationDelivery,
  name: 'test.double',
  payload: z.object({ value: z.number() }),
  result: z.object({ doubled: z.number() }),
  options: { attempts: 3, backoff: { type: 'fixed', delay: 10 } },
  userSubmittable: false,
};

let prefix: string;
let queue: Queue;
let events: QueueEvents;
let running: QueueWorker | undefined;

beforeEach(async () => {
  prefix = testPrefix();
  queue = new Queue(double.queue, { connection, prefix });
  events = new QueueEvents(double.queue, { connection, prefix });
  await events.waitUntilReady();
});
afterEach(async () => {
  await running?.close();
  await Promise.all([queue.close(), events.close()]);
  await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
});

const start = (
  process: (payload: { value: number }) => Promise<{ doubled: number }>,
  concurrency = 1,
) => {
  running = createQueueWorker({
    processors: [bindProcessor(double, (payload) => process(payload as { value: number }))],
    connection: { ...connection, ...redisOptions('worker') },
    prefix,
    concurrency,
    logger,
    metrics: createMetricsRegistry('test'),
  });
  return running;
};

describe('createQueueWorker', () => {
  it('runs the processor with the parsed payload and stores its result', async () => {
    start(async ({ value }) => ({ doubled: value * 2 }));
    const job = await queue.add('test.double', { value: 21 }, double.options);
    expect(await job.waitUntilFinished(events, 5_000)).toEqual({ doubled: 42 });
  });

  it('fails a payload that does not parse at once, without retries', async () => {
    let calls = 0;
    start(async ({ value }) => {
      calls += 1;
      return { doubled: value };
    });
    const job = await queue.add('test.double', { value: 'twenty' }, double.options);
    await expect(job.waitUntilFinished(events, 5_000)).rejects.toThrow(
      /invalid payload for test.double/,
    );
    const failed = await queue.getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1);
    expect(calls).toBe(0);
  });

  it('fails a job name the queue does not know, without retries', async () => {
    start(async ({ value }) => ({ doubled: value }));
    const job = await queue.add('test.unknown', { value: 1 }, double.options);
    await expect(job.waitUntilFinished(events, 5_000)).rejects.toThrow(/unknown job name/);
    expect((await queue.getJob(job.id!))?.attemptsMade).toBe(1);
  });

  it('retries a transient failure with the configured attempts', async () => {
    let calls = 0;
    start(async ({ value }) => {
      calls += 1;
      if (calls < 3) throw new Error('transient');
      return { doubled: value * 2 };
    });
    const job = await queue.add('test.double', { value: 5 }, double.options);
    expect(await job.waitUntilFinished(events, 5_000)).toEqual({ doubled: 10 });
    expect(calls).toBe(3);
  });

  it('finishes the job in hand before close resolves', async () => {
    let finished = false;
    const worker = start(async ({ value }) => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      finished = true;
      return { doubled: value };
    });
    const job = await queue.add('test.double', { value: 1 }, double.options);
    await waitUntil(async () => (await queue.getJob(job.id!))?.processedOn !== undefined, {
      what: 'job start',
    });
    await worker.close();
    expect(finished).toBe(true);
    expect(await (await queue.getJob(job.id!))?.getState()).toBe('completed');
  });
});
