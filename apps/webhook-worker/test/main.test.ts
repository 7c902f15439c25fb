import { fileURLToPath } from 'node:url';
import { createDb, type DbHandle } from '@conveyor/db/client';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { QueueName } from '@conveyor/queue-contracts';
import { redisOptions } from '@conveyor/runtime/redis';
import { freePort, waitUntil } from '@conveyor/test-harness/ports';
import { startEntryPoint, type RunningProcess } from '@conveyor/test-harness/processes';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { Queue, Worker } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createDeliveries, createEndpoint, createUser } from './helpers/webhook-rows.js';

// The worker as it runs in production: its own process (src/main.ts), real BullMQ jobs whose
// events it reads, a real receiver, and SIGKILL in the middle of a thousand deliveries.

const appDir = fileURLToPath(new URL('..', import.meta.url));
const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const concurrency = 20;

let database: TestDatabase;
let handle: DbHandle;
let receiver: Receiver;
const prefix = testPrefix();
const connection = { host: '127.0.0.1', port: 6379, ...redisOptions('worker') };

beforeAll(async () => {
  database = await createTestDatabase();
  handle = createDb(database.url, { max: 3 });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await handle.close();
  await database.drop();
  await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
});

async function startWorker(name: string): Promise<RunningProcess> {
  const port = await freePort();
  const worker = startEntryPoint(
    entry,
    {
      PORT: String(port),
      REDIS_URL: defaultTestRedisUrl,
      DATABASE_URL: database.url,
      BULL_PREFIX: prefix,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      WORKER_NAME: name,
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
      WEBHOOK_CONCURRENCY: String(concurrency),
      WEBHOOK_RETRY_BASE_MS: '100',
      WEBHOOK_POLL_MS: '20',
    },
    { cwd: appDir },
  );
  await waitUntil(
    async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok === true,
    { timeoutMs: 20_000, what: `webhook-worker ready\n${worker.output()}` },
  );
  return worker;
}

const bodiesTo = (path: string) =>
  receiver.requestsTo(path).map((request) => JSON.parse(request.body.toString()) as unknown);

describe('webhook-worker', () => {
  it('sends the progress and end of a user’s real jobs to that user’s endpoints only, signed', async () => {
    const alice = await createUser(handle.db);
    const bob = await createUser(handle.db);
    const aliceEndpoint = await createEndpoint(handle.db, {
      ownerId: alice.id,
      url: receiver.url('/alice'),
    });
    await createEndpoint(handle.db, { ownerId: bob.id, url: receiver.url('/bob') });
    const worker = await startWorker('e2e-jobs');
    const queue = new Queue(QueueName.mediaPreview, { connection, prefix });
    const jobs = new Worker(
      QueueName.mediaPreview,
      async (job) => {
        await job.updateProgress(50);
        if (job.data.fail) throw new Error('no such media');
        return { url: 'https://cdn.example/preview.mp4' };
      },
      { connection, prefix },
    );
    try {
      const done = await queue.add('media.preview', { ownerId: alice.id });
      const failed = await queue.add(
        'media.preview',
        { ownerId: alice.id, fail: true },
        { attempts: 1 },
      );
      await receiver.waitForRequests('/alice', 4, 20_000);
      expect(bodiesTo('/alice')).toEqual(
        expect.arrayContaining([
          {
            id: done.id,
            jobname: 'media.preview',
            userId: alice.id,
            progress: 50,
            eventType: 'progress',
          },
          {
            id: done.id,
            jobname: 'media.preview',
            userId: alice.id,
            result: { url: 'https://cdn.example/preview.mp4' },
            eventType: 'completed',
          },
          {
            id: failed.id,
            jobname: 'media.preview',
            userId: alice.id,
            progress: 50,
            eventType: 'progress',
          },
          {
            id: failed.id,
            jobname: 'media.preview',
            userId: alice.id,
            error: 'no such media',
            eventType: 'failed',
          },
        ]),
      );
      for (const request of receiver.requestsTo('/alice')) {
        const headers = request.headers as Record<string, string>;
        expect(() =>
          new Webhook(aliceEndpoint.secret).verify(request.body.toString(), headers),
        ).not.toThrow();
        expect(headers['content-type']).toBe('application/json');
      }
      expect(receiver.requestsTo('/bob')).toEqual([]);
    } finally {
      await jobs.close();
      await queue.close();
      await worker.stop();
    }
  }, 40_000);

  it('loses nothing when killed with SIGKILL mid-way through 1 000 deliveries; duplicates stay within the requests in flight', async () => {
    const owner = await createUser(handle.db);
    const endpoint = await createEndpoint(handle.db, {
      ownerId: owner.id,
      url: receiver.url('/bulk'),
    });
    // Slow enough answers that the kill finds requests in flight.
    receiver.script('/bulk', () => ({ status: 200, delayMs: 15 }));
    const created = await createDeliveries(handle.db, endpoint, 1_000);
    const expected = new Set(created.map((delivery) => delivery.messageId));

    const first = await startWorker('e2e-kill');
    await receiver.waitForRequests('/bulk', 250, 30_000);
    first.child.kill('SIGKILL');
    await new Promise((exited) => first.child.once('exit', exited));
    const receivedBeforeRestart = receiver.requestsTo('/bulk').length;
    expect(receivedBeforeRestart).toBeLessThan(1_000);

    // The same name, as a restarted pod has: its own claims come back at once.
    const second = await startWorker('e2e-kill');
    try {
      await waitUntil(
        () =>
          new Set(receiver.requestsTo('/bulk').map((r) => r.headers['webhook-id'])).size >= 1_000,
        { timeoutMs: 60_000, intervalMs: 20, what: 'every webhook-id to arrive' },
      );
      const ids = receiver.requestsTo('/bulk').map((r) => String(r.headers['webhook-id']));
      const unique = new Set(ids);
      expect(unique).toEqual(expected);
      const duplicates = ids.length - unique.size;
      // At most the attempts in flight at the kill: an attempt holds one of the worker's
      // WEBHOOK_CONCURRENCY slots from its request until its outcome is stored.
      expect(duplicates).toBeLessThanOrEqual(concurrency);
    } finally {
      await second.stop();
    }
  }, 90_000);
});
