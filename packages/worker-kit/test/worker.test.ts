import {
  encodeJobCancelRequest,
  jobCancelChannel,
  type JobCancelRequest,
  type JobDefinition,
  QueueName,
} from '@conveyor/queue-contracts';
import { createLogger } from '@conveyor/runtime/logger';
import { createMetricsRegistry } from '@conveyor/runtime/metrics';
import { createRedis, redisOptions } from '@conveyor/runtime/redis';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { waitUntil } from '@conveyor/test-harness/ports';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
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
  process: (payload: { value: number }, signal: AbortSignal) => Promise<{ doubled: number }>,
  concurrency = 1,
) => {
  running = createQueueWorker({
    processors: [
      bindProcessor(double, (payload, _job, signal) =>
        process(payload as { value: number }, signal),
      ),
    ],
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

describe('cancellation', () => {
  let publisher: Redis;
  beforeEach(() => {
    publisher = new Redis(connection);
  });
  afterEach(() => {
    publisher.disconnect();
  });

  /** Publishes a cancel request as webhooks-svc does, by the contract alone. */
  const publishCancel = (under: string, request: JobCancelRequest) =>
    publisher.publish(jobCancelChannel(under), encodeJobCancelRequest(request));

  /** A processor that runs until its signal aborts, then stops as a cancellable one should. */
  const untilAborted = (_payload: { value: number }, signal: AbortSignal) =>
    new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });

  /** Adds a job and resolves once the worker runs it and hears cancel requests. */
  async function startedJob(worker: QueueWorker) {
    await worker.cancellable;
    const job = await queue.add('test.double', { value: 1 }, double.options);
    await waitUntil(async () => (await job.isActive()) === true, { what: 'job start' });
    return job;
  }

  it('aborts the signal of a running job and fails it with Cancelled, without retries', async () => {
    const job = await startedJob(start(untilAborted));
    const finished = job.waitUntilFinished(events, 5_000);
    await publishCancel(prefix, { queue: double.queue, jobId: job.id! });
    await expect(finished).rejects.toThrow(/^Cancelled$/);
    const failed = await queue.getJob(job.id!);
    expect(failed?.failedReason).toBe('Cancelled');
    expect(failed?.attemptsMade).toBe(1);
    expect(await failed?.getState()).toBe('failed');
  });

  it('listens on a connection of its own when given an ioredis client', async () => {
    const client = createRedis(defaultTestRedisUrl, 'worker');
    try {
      running = createQueueWorker({
        processors: [
          bindProcessor(double, (payload, _job, signal) =>
            untilAborted(payload as { value: number }, signal),
          ),
        ],
        connection: client,
        prefix,
        logger,
      });
      const job = await startedJob(running);
      const finished = job.waitUntilFinished(events, 5_000);
      await publishCancel(prefix, { queue: double.queue, jobId: job.id! });
      await expect(finished).rejects.toThrow(/^Cancelled$/);
      await running.close();
      running = undefined;
      // The client it was given is still the caller's, usable and not subscribed.
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('lets a processor that ignores the signal complete its job', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const job = await startedJob(
      start(async ({ value }) => {
        await gate;
        return { doubled: value * 2 };
      }),
    );
    await publishCancel(prefix, { queue: double.queue, jobId: job.id! });
    release();
    expect(await job.waitUntilFinished(events, 5_000)).toEqual({ doubled: 2 });
  });

  it('ignores requests for another queue, another job or in another shape', async () => {
    let aborted = false;
    const job = await startedJob(
      start(async (_payload, signal) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        aborted = signal.aborted;
        return { doubled: 0 };
      }),
    );
    await publishCancel(prefix, { queue: 'another-queue', jobId: job.id! });
    await publishCancel(prefix, { queue: double.queue, jobId: 'another-job' });
    await publisher.publish(jobCancelChannel(prefix), 'not json');
    await publisher.publish(jobCancelChannel(prefix), JSON.stringify({ jobId: job.id }));
    expect(await job.waitUntilFinished(events, 5_000)).toEqual({ doubled: 0 });
    expect(aborted).toBe(false);
  });

  it('hears requests under its own prefix only', async () => {
    let aborted = false;
    const job = await startedJob(
      start(async (_payload, signal) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        aborted = signal.aborted;
        return { doubled: 0 };
      }),
    );
    await publishCancel(testPrefix(), { queue: double.queue, jobId: job.id! });
    await job.waitUntilFinished(events, 5_000);
    expect(aborted).toBe(false);
  });

  it('closes its subscriber connection with the worker', async () => {
    const worker = start(async () => ({ doubled: 0 }));
    await worker.cancellable;
    const listeners = async () =>
      ((await publisher.pubsub('NUMSUB', jobCancelChannel(prefix))) as [string, number])[1];
    expect(await listeners()).toBe(1);
    await worker.close();
    running = undefined;
    await waitUntil(async () => (await listeners()) === 0, { what: 'unsubscribe' });
  });
});
