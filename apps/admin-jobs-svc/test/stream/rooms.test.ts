import { randomUUID } from 'node:crypto';
import { adminBatches } from '@conveyor/db/schema';
import { QueueName, queueNames } from '@conveyor/queue-contracts';
import { createRedis } from '@conveyor/runtime/redis';
import { Client, type Message } from '@conveyor/realtime/testing';
import { Queue, Worker, type Job } from 'bullmq';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRole, startStreamService, type StreamService } from './helpers.js';

let service: StreamService;
const clients: Client[] = [];

beforeAll(async () => {
  service = await startStreamService();
});
afterAll(async () => {
  for (const client of clients) client.close();
  await service.close();
});

/** An admin's socket in the rooms; an admin of its own, so no per-user cap is reached. */
async function adminClient(...rooms: string[]): Promise<Client> {
  const client = await Client.open(service.streamUrl, asRole(`admin-${randomUUID()}`, 'ADMIN'));
  clients.push(client);
  for (const room of rooms) {
    client.send({ type: 'subscribe', room });
    await client.waitFor((message) => message.type === 'subscribed' && message.room === room);
  }
  return client;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The task updates of one job a client heard, as `event` names, in arrival order. */
const eventsOf = (client: Client, jobId: string) =>
  client
    .ofType('task_update')
    .map((message) => message.data as { id: string; event: string })
    .filter((update) => update.id === jobId)
    .map((update) => update.event);

describe('queues room', () => {
  it('sends queue_stats of every queue every 5 s (±1 s), and the latest at once to a late joiner', async () => {
    const client = await adminClient('queues');
    const arrivals: number[] = [];
    const seen = new Set<Message>();
    while (arrivals.length < 3) {
      const next = await client.waitFor(
        (message) => message.type === 'queue_stats' && !seen.has(message),
        8_000,
      );
      seen.add(next);
      arrivals.push(Date.now());
    }
    const intervals = arrivals.slice(1).map((at, index) => at - arrivals[index]!);
    for (const interval of intervals) {
      expect(interval).toBeGreaterThanOrEqual(4_000);
      expect(interval).toBeLessThanOrEqual(6_000);
    }
    const [first] = client.ofType('queue_stats');
    const data = first!.data as { queues: { name: string; counts: object }[]; at: string };
    expect(data.queues.map((queue) => queue.name)).toEqual([...queueNames]);
    expect(data.queues[0]!.counts).toMatchObject({ waiting: 0, active: 0, failed: 0 });
    expect(Date.parse(data.at)).not.toBeNaN();

    const late = await adminClient('queues');
    await late.waitFor((message) => message.type === 'queue_stats', 1_000);

    client.send({ type: 'unsubscribe', room: 'queues' });
    await client.waitFor((message) => message.type === 'unsubscribed');
    const heard = client.ofType('queue_stats').length;
    await sleep(5_500);
    expect(client.ofType('queue_stats')).toHaveLength(heard);
    expect(late.ofType('queue_stats').length).toBeGreaterThan(1);
  }, 30_000);
});

describe('tasks rooms', () => {
  it('sends task_update for each state change to tasks and tasks:<queue>, and nothing of it elsewhere', async () => {
    const everything = await adminClient('tasks');
    const previews = await adminClient(`tasks:${QueueName.mediaPreview}`);
    const both = await adminClient('tasks', `tasks:${QueueName.mediaPreview}`);
    const deliveries = await adminClient(`tasks:${QueueName.notificationDelivery}`);

    const connection = createRedis(service.deps.config.REDIS_URL, 'worker');
    connection.on('error', () => undefined);
    const queue = new Queue(QueueName.mediaPreview, { connection, prefix: service.prefix });
    const worker = new Worker(
      QueueName.mediaPreview,
      async (job: Job) => {
        await job.updateProgress(50);
        return { ok: true };
      },
      { connection: createRedis(service.deps.config.REDIS_URL, 'worker'), prefix: service.prefix },
    );
    worker.on('error', () => undefined);
    try {
      const jobId = randomUUID();
      await queue.add('test.stream', { ownerId: 'alice' }, { jobId });
      const completedOf = (message: Message) =>
        message.type === 'task_update' &&
        (message.data as { id: string; event: string }).id === jobId &&
        (message.data as { event: string }).event === 'completed';
      await Promise.all([everything, previews, both].map((client) => client.waitFor(completedOf)));

      for (const client of [everything, previews, both]) {
        expect(eventsOf(client, jobId)).toEqual([
          'added',
          'waiting',
          'active',
          'progress',
          'completed',
        ]);
      }
      const progress = previews
        .ofType('task_update')
        .find((message) => (message.data as { event: string }).event === 'progress');
      expect(progress!.data).toMatchObject({
        id: jobId,
        queue: QueueName.mediaPreview,
        name: 'test.stream',
        ownerId: 'alice',
        state: 'active',
        progress: 50,
      });
      expect(eventsOf(deliveries, jobId)).toEqual([]);

      previews.send({ type: 'unsubscribe', room: `tasks:${QueueName.mediaPreview}` });
      await previews.waitFor((message) => message.type === 'unsubscribed');
      const heard = previews.ofType('task_update').length;
      const second = randomUUID();
      await queue.add('test.stream', {}, { jobId: second });
      await everything.waitFor(
        (message) =>
          message.type === 'task_update' &&
          (message.data as { id: string; event: string }).id === second &&
          (message.data as { event: string }).event === 'completed',
      );
      expect(previews.ofType('task_update')).toHaveLength(heard);
      expect(
        everything.ofType('task_update').find((m) => (m.data as { id: string }).id === second)!
          .data,
      ).toMatchObject({ ownerId: null });
    } finally {
      await worker.close();
      await queue.close();
      connection.disconnect();
    }
  }, 30_000);
});

describe('batch room', () => {
  it('sends batch_progress as a bulk batch advances, and its end', async () => {
    const client = await adminClient('batch');
    const { db } = service.deps.db;
    const id = randomUUID();
    await db.insert(adminBatches).values({
      id,
      action: 'retry',
      adminId: 'root',
      filter: { queue: QueueName.mediaPreview },
      state: 'running',
      total: 10,
      processed: 3,
      succeeded: 3,
      startedAt: new Date(Date.now() - 3_000),
    });
    const ofBatch = (percent: number) => (message: Message) =>
      message.type === 'batch_progress' &&
      (message.data as { id: string }).id === id &&
      (message.data as { percent: number }).percent === percent;
    const running = await client.waitFor(ofBatch(30), 5_000);
    expect(running.data).toMatchObject({
      kind: 'bulk-retry',
      state: 'running',
      total: 10,
      completed: 3,
      percent: 30,
      counts: { succeeded: 3, skipped: 0, failed: 0 },
      adminId: 'root',
    });
    expect(
      (running.data as { estimatedSecondsRemaining: number }).estimatedSecondsRemaining,
    ).toBeGreaterThan(0);

    await db
      .update(adminBatches)
      .set({
        processed: 10,
        succeeded: 10,
        state: 'completed',
        finishedAt: new Date(),
        updatedAt: new Date(),
      })
      .where(eq(adminBatches.id, id));
    const done = await client.waitFor(ofBatch(100), 5_000);
    expect(done.data).toMatchObject({
      state: 'completed',
      completed: 10,
      estimatedSecondsRemaining: null,
    });
    // Unchanged batches are not sent again.
    await sleep(2_500);
    expect(
      client.ofType('batch_progress').filter((m) => (m.data as { id: string }).id === id),
    ).toHaveLength(2);
  }, 20_000);
});
