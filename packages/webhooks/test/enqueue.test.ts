import { createDb, type DbHandle } from '@conveyor/db/client';
import { users, webhookDeliveries, webhookEndpoints, webhookMessages } from '@conveyor/db/schema';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { enqueueForEndpoint, enqueueJobMessages } from '../src/enqueue.js';
import { jobMessage, testMessage, type JobWebhookEvent } from '../src/messages.js';
import { generateSecret } from '../src/secrets.js';

let database: TestDatabase;
let handle: DbHandle;
let stream = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  handle = createDb(database.url, { max: 4 });
});
afterAll(async () => {
  await handle.close();
  await database.drop();
});
beforeEach(async () => {
  await handle.db.delete(webhookMessages);
  await handle.db.delete(webhookEndpoints);
  await handle.db.delete(users);
  await handle.db.insert(users).values([
    { id: 'alice', role: 'CREATOR' },
    { id: 'bob', role: 'CREATOR' },
    { id: 'carol', role: 'CREATOR' },
  ]);
});

type EventType = 'progress' | 'completed' | 'failed' | 'all';

async function endpoint(ownerId: string, eventType: EventType, active = true): Promise<number> {
  const [row] = await handle.db
    .insert(webhookEndpoints)
    .values({
      ownerId,
      url: `https://${ownerId}.example/${eventType}`,
      eventType,
      active,
      secret: generateSecret(),
    })
    .returning({ id: webhookEndpoints.id });
  return row!.id;
}

function message(ownerId: string, type: JobWebhookEvent['type'], jobId = 'job-1', progress = 0) {
  stream += 1;
  return jobMessage({
    queue: 'media-preview',
    jobId,
    name: 'media.preview',
    ownerId,
    streamId: `1700000000000-${stream}`,
    type,
    progress,
    result: 'ok',
    error: 'boom',
  });
}

const deliveriesOf = (endpointId: number) =>
  handle.db
    .select({
      messageId: webhookDeliveries.messageId,
      state: webhookDeliveries.state,
      coalesceKey: webhookDeliveries.coalesceKey,
    })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpointId, endpointId));

describe('enqueueJobMessages', () => {
  it('makes one delivery per active endpoint of the owner whose type matches', async () => {
    const [progress, completed, failed, all, inactive] = [
      await endpoint('alice', 'progress'),
      await endpoint('alice', 'completed'),
      await endpoint('alice', 'failed'),
      await endpoint('alice', 'all'),
      await endpoint('alice', 'all', false),
    ];
    const sent = [
      message('alice', 'progress'),
      message('alice', 'completed'),
      message('alice', 'failed'),
    ];
    const result = await enqueueJobMessages(handle.db, sent);
    expect(result).toEqual({ messages: 3, deliveries: 6 });
    expect((await deliveriesOf(progress)).map((d) => d.messageId)).toEqual([sent[0]!.id]);
    expect((await deliveriesOf(completed)).map((d) => d.messageId)).toEqual([sent[1]!.id]);
    expect((await deliveriesOf(failed)).map((d) => d.messageId)).toEqual([sent[2]!.id]);
    expect((await deliveriesOf(all)).map((d) => d.messageId).sort()).toEqual(
      sent.map((m) => m.id).sort(),
    );
    expect(await deliveriesOf(inactive)).toEqual([]);
  });

  it('never sends one user’s events to another user’s endpoints', async () => {
    const bobs = await endpoint('bob', 'all');
    await endpoint('alice', 'all');
    await enqueueJobMessages(handle.db, [
      message('alice', 'completed'),
      message('alice', 'failed'),
    ]);
    expect(await deliveriesOf(bobs)).toEqual([]);
  });

  it('stores nothing for owners with no endpoint', async () => {
    expect(await enqueueJobMessages(handle.db, [message('carol', 'completed')])).toEqual({
      messages: 0,
      deliveries: 0,
    });
    expect(await handle.db.select().from(webhookMessages)).toEqual([]);
  });

  it('adds nothing when the same batch is read again', async () => {
    const id = await endpoint('alice', 'all');
    const batch = [message('alice', 'progress'), message('alice', 'completed')];
    await enqueueJobMessages(handle.db, batch);
    expect(await enqueueJobMessages(handle.db, batch)).toEqual({ messages: 0, deliveries: 0 });
    expect(await deliveriesOf(id)).toHaveLength(2);
  });

  it('coalesces progress: one unattempted delivery per job and endpoint, with the newest message', async () => {
    const id = await endpoint('alice', 'progress');
    // Within a batch and across batches alike.
    await enqueueJobMessages(handle.db, [
      message('alice', 'progress', 'job-1', 10),
      message('alice', 'progress', 'job-1', 20),
    ]);
    const newest = message('alice', 'progress', 'job-1', 30);
    await enqueueJobMessages(handle.db, [newest, message('alice', 'progress', 'job-2', 5)]);
    const rows = await deliveriesOf(id);
    expect(rows).toHaveLength(2);
    expect(rows.find((row) => row.coalesceKey === 'media-preview/job-1')?.messageId).toBe(
      newest.id,
    );

    // Once an attempt has claimed it (the key is cleared), a newer progress gets its own delivery.
    await handle.db
      .update(webhookDeliveries)
      .set({ coalesceKey: null, state: 'sending' })
      .where(eq(webhookDeliveries.messageId, newest.id));
    await enqueueJobMessages(handle.db, [message('alice', 'progress', 'job-1', 40)]);
    expect(await deliveriesOf(id)).toHaveLength(3);
  });

  it('sends completed events to the legacy users.webhook_url, kept in step with the column', async () => {
    await handle.db
      .update(users)
      .set({ webhookUrl: 'https://legacy.example/a' })
      .where(eq(users.id, 'bob'));
    await enqueueJobMessages(handle.db, [message('bob', 'progress'), message('bob', 'failed')]);
    expect(await handle.db.select().from(webhookEndpoints)).toEqual([]);

    await enqueueJobMessages(handle.db, [message('bob', 'completed')]);
    const [legacy] = await handle.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.legacy, true));
    expect(legacy).toMatchObject({
      ownerId: 'bob',
      url: 'https://legacy.example/a',
      eventType: 'completed',
    });
    expect(await deliveriesOf(legacy!.id)).toHaveLength(1);

    await handle.db
      .update(users)
      .set({ webhookUrl: 'https://legacy.example/b' })
      .where(eq(users.id, 'bob'));
    await enqueueJobMessages(handle.db, [message('bob', 'completed', 'job-2')]);
    const moved = await handle.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.legacy, true));
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatchObject({
      id: legacy!.id,
      url: 'https://legacy.example/b',
      secret: legacy!.secret,
    });

    await handle.db.update(users).set({ webhookUrl: null }).where(eq(users.id, 'bob'));
    await enqueueJobMessages(handle.db, [message('bob', 'completed', 'job-3')]);
    expect(
      await handle.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.ownerId, 'bob')),
    ).toEqual([]);
  });

  it('never sends progress or failed events to the legacy URL, even beside an "all" endpoint', async () => {
    await handle.db
      .update(users)
      .set({ webhookUrl: 'https://legacy.example/a' })
      .where(eq(users.id, 'bob'));
    await endpoint('bob', 'all');
    await enqueueJobMessages(handle.db, [
      message('bob', 'completed'),
      message('bob', 'failed'),
      message('bob', 'progress'),
    ]);
    const [legacy] = await handle.db
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.ownerId, 'bob'), eq(webhookEndpoints.legacy, true)));
    const rows = await handle.db
      .select({ type: webhookMessages.eventType })
      .from(webhookDeliveries)
      .innerJoin(webhookMessages, eq(webhookMessages.id, webhookDeliveries.messageId))
      .where(inArray(webhookDeliveries.endpointId, [legacy!.id]));
    expect(rows).toEqual([{ type: 'completed' }]);
  });
});

describe('enqueueForEndpoint', () => {
  it('makes one due delivery of the message to that endpoint only', async () => {
    const target = await endpoint('alice', 'completed');
    const other = await endpoint('alice', 'all');
    const sent = testMessage('alice');
    const deliveryId = await enqueueForEndpoint(handle.db, sent, target);
    expect(deliveryId).toBeGreaterThan(0);
    expect(await deliveriesOf(target)).toEqual([
      { messageId: sent.id, state: 'pending', coalesceKey: null },
    ]);
    expect(await deliveriesOf(other)).toEqual([]);
  });
});
