import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { QueueName } from '@conveyor/queue-contracts';
import type { Logger } from '@conveyor/runtime/logger';
import { redisOptions } from '@conveyor/runtime/redis';
import { waitUntil } from '@conveyor/test-harness/ports';
import { Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { eventsStreamKey, parseStreamEntry, type JobEvent } from '../src/events.js';

export const connection = { host: '127.0.0.1', port: 6379 };

/** Jobs run here: no worker of the platform consumes it yet. */
export const testQueue = QueueName.mediaPreview;
/** Jobs wait here: nothing in these tests works it. */
export const idleQueue = QueueName.searchIndexUpdate;

export const silentLogger = (): Logger => pino({ level: 'silent' });

/** A logger whose lines the test can read. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** What the test worker does, by job name. */
async function processor(job: Job<{ steps?: number[] }>): Promise<unknown> {
  switch (job.name) {
    case 'ok':
      return { ok: true, attempt: job.attemptsMade + 1 };
    case 'progress':
      for (const step of job.data.steps ?? [25, 50, 75, 100]) await job.updateProgress(step);
      return 'done';
    case 'flaky':
      if (job.attemptsMade === 0) throw new Error('flaky the first time');
      return 'recovered';
    case 'broken':
      throw new Error('broken for good');
    default:
      throw new Error(`no such test job: ${job.name}`);
  }
}

/** Retries after 50 ms instead of the product's seconds, so tests stay fast. */
export const quickRetry = { attempts: 2, backoff: { type: 'fixed', delay: 50 } } as const;

export interface Jobs {
  queue: Queue;
  idle: Queue;
  worker: Worker;
  /** Adds a job with a UUID id (ids stay unique across test prefixes in one database). */
  add(name: string, data?: Record<string, unknown>, options?: JobsOptions): Promise<string>;
  /** Waits until BullMQ has finished the job, either way. */
  finished(jobId: string): Promise<void>;
  close(): Promise<void>;
}

/** A queue and its worker, plus a queue nobody works, under `prefix`. */
export function startJobs(prefix: string): Jobs {
  const queue = new Queue(testQueue, { connection, prefix });
  const idle = new Queue(idleQueue, { connection, prefix });
  const worker = new Worker(testQueue, processor, {
    connection: { ...connection, ...redisOptions('worker') },
    prefix,
    concurrency: 4,
  });
  // BullMQ emits `error` on a lost connection; unheard, that would crash the test run.
  queue.on('error', () => undefined);
  idle.on('error', () => undefined);
  worker.on('error', () => undefined);
  return {
    queue,
    idle,
    worker,
    async add(name, data = {}, options = {}) {
      const job = await queue.add(name, data, { jobId: randomUUID(), ...options });
      return job.id!;
    },
    async finished(jobId) {
      await waitUntil(
        async () => ['completed', 'failed'].includes(await queue.getJobState(jobId)),
        { what: `job ${jobId} to finish` },
      );
    },
    async close() {
      await worker.close();
      await Promise.all([queue.close(), idle.close()]);
    },
  };
}

/** Every event of `queue` in its stream, parsed, optionally of some jobs only. */
export async function readEvents(
  redis: Redis,
  prefix: string,
  queue: QueueName,
  jobIds?: readonly string[],
): Promise<JobEvent[]> {
  const entries = await redis.xrange(eventsStreamKey(prefix, queue), '-', '+');
  return entries
    .map(([id, fields]) => parseStreamEntry(queue, id, fields))
    .filter((event): event is JobEvent => event !== null)
    .filter((event) => !jobIds || jobIds.includes(event.jobId));
}
