import { createDb, type DbHandle } from '@conveyor/db/client';
import { notifications, users } from '@conveyor/db/schema';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { QueueName } from '@conveyor/queue-contracts';
import { createProducer, type Producer } from '@conveyor/queue-contracts/producer';
import { redisOptions } from '@conveyor/runtime/redis';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { freePort } from '@conveyor/test-harness/ports';
import { and, count, eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { parseUserEventEntry, userEventsStreamKey } from '@conveyor/job-events/user-events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifications } from '../src/create.js';
import { deliveryJobId } from '../src/delivery-jobs.js';

let database: TestDatabase;
let handle: DbHandle;
let producer: Producer;
const prefix = testPrefix();

beforeAll(async () => {
  database = await createTestDatabase();
  handle = createDb(database.url, { max: 4 });
  producer = createProducer({
    connection: { host: '127.0.0.1', port: 6379, ...redisOptions('request') },
    prefix,
  });
  await handle.db.insert(users).values([
    { id: 'alice', role: 'CREATOR', email: 'alice@example.com' },
    { id: 'bob', role: 'BRAND' },
    { id: 'carol', role: 'CREATOR' },
  ]);
});
afterAll(async () => {
  await producer.close();
  await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
  await handle.close();
  await database.drop();
});

const content = { type: 'SYSTEM', title: 'Maintenance', message: 'Tonight at 22:00' } as const;

async function unreadOf(userId: string): Promise<number> {
  const [row] = await handle.db
    .select({ unread: count() })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), eq(notifications.read, false)));
  return row?.unread ?? 0;
}
const queue = () => producer.queue(QueueName.notificationDelivery);

describe('createNotifications', () => {
  it('creates one row for one user with the defaults, and its delivery job', async () => {
    const result = await createNotifications(
      { db: handle.db, producer },
      { userId: 'alice', ...content },
    );
    expect(result).toMatchObject({ ok: true, count: 1 });
    if (!result.ok) throw new Error('unreachable');
    const [row] = await handle.db
      .select()
      .from(notifications)
      .where(eq(notifications.id, result.ids![0]!));
    expect(row).toMatchObject({
      userId: 'alice',
      priority: 'MEDIUM',
      read: false,
      emailStatus: 'pending',
      critical: false,
    });
    const job = await queue().getJob(deliveryJobId(row!.id));
    expect(job?.data).toEqual({ notificationId: row!.id });
  });

  it('broadcasts to a role with one statement and returns no ids', async () => {
    const result = await createNotifications(
      { db: handle.db, producer },
      { role: 'CREATOR', ...content, priority: 'HIGH' },
    );
    expect(result).toEqual({ ok: true, count: 2 });
  });

  it('creates nothing when a named recipient does not exist', async () => {
    const [before] = await handle.db.select({ n: count() }).from(notifications);
    const result = await createNotifications(
      { db: handle.db, producer },
      { userIds: ['alice', 'nobody'], ...content },
    );
    expect(result).toEqual({ ok: false, missingUserIds: ['nobody'] });
    const [after] = await handle.db.select({ n: count() }).from(notifications);
    expect(after?.n).toBe(before?.n);
  });

  it('writes 10 000 recipients set-based in well under five seconds', async () => {
    const ids = Array.from({ length: 10_000 }, (_, index) => `bulk-${index}`);
    await handle.db.insert(users).values(ids.map((id) => ({ id, role: 'VIEWER' as const })));
    const started = performance.now();
    const result = await createNotifications(
      { db: handle.db, producer },
      { userIds: ids, ...content },
    );
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ ok: true, count: 10_000 });
    expect(elapsed).toBeLessThan(5_000);
    expect(await queue().getWaitingCount()).toBeGreaterThanOrEqual(10_000);
  });

  it('keeps the rows and reports the error when Redis is unreachable, for the sweeper to deliver', async () => {
    const offline = createProducer({
      connection: {
        host: '127.0.0.1',
        port: await freePort(),
        ...redisOptions('request'),
        retryStrategy: () => null,
      },
      prefix,
    });
    try {
      const result = await createNotifications(
        { db: handle.db, producer: offline },
        { userId: 'bob', ...content },
      );
      expect(result.ok).toBe(true);
      if (!result.ok) throw new Error('unreachable');
      expect(result.enqueueError).toBeInstanceOf(Error);
      const [row] = await handle.db
        .select()
        .from(notifications)
        .where(eq(notifications.id, result.ids![0]!));
      expect(row?.emailStatus).toBe('pending');
    } finally {
      await offline.close().catch(() => undefined);
    }
  });

  it('tells each recipient’s sockets about the notification with their new unread count', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, ...redisOptions('request') });
    try {
      const before = await unreadOf('carol');
      const result = await createNotifications(
        { db: handle.db, producer, events: { redis, prefix } },
        { userIds: ['carol', 'bob'], ...content },
      );
      if (!result.ok) throw new Error('unreachable');
      expect(result.publishError).toBeUndefined();
      const entries = await redis.xrange(userEventsStreamKey(prefix), '-', '+');
      const events = entries.map(([, fields]) => parseUserEventEntry(fields));
      const carol = events.find((event) => event?.userId === 'carol');
      expect(carol).toEqual({
        type: 'notification:new',
        userId: 'carol',
        notificationId: expect.any(String),
        title: 'Maintenance',
        unreadCount: before + 1,
      });
      const [row] = await handle.db
        .select({ userId: notifications.userId })
        .from(notifications)
        .where(eq(notifications.id, carol!.notificationId));
      expect(row?.userId).toBe('carol');
      expect(result.ids).toContain(carol!.notificationId);
      expect(events.filter((event) => event?.userId === 'bob')).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  });

  it('refuses input that breaks the schema', async () => {
    await expect(
      createNotifications(
        { db: handle.db, producer },
        { userId: 'alice', role: 'ADMIN', ...content },
      ),
    ).rejects.toThrow(/exactly one of userId, userIds, role/);
  });
});
