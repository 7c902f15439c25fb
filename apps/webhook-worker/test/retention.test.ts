import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createDb } from '@conveyor/db/client';
import {
  webhookAttempts,
  webhookDeliveries,
  webhookMessages,
  type WebhookDelivery,
} from '@conveyor/db/schema';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { waitUntil } from '@conveyor/test-harness/ports';
import { eq, inArray, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneWebhookMessages } from '../src/prune-messages.js';
import { createRetention } from '../src/retention.js';
import { addEndpoint, createDeps, seedUser, type TestDeps } from './fanout/fixtures.js';

let database: TestDatabase;
let deps: TestDeps;
let closeDeps: () => Promise<void>;

beforeAll(async () => {
  database = await createTestDatabase();
  ({ deps, close: closeDeps } = await createDeps(database.url));
});
afterAll(async () => {
  await closeDeps();
  await database.drop();
});

const db = () => deps.db.db;
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
/** Past the default WEBHOOK_RETENTION_DAYS (30), and within it. */
const old = () => daysAgo(31);
const recent = () => daysAgo(29);

/** A message created at `createdAt`, with one delivery per state given, each with an attempt. */
async function seedMessage(
  ownerId: string,
  endpointId: number,
  createdAt: Date,
  states: WebhookDelivery['state'][],
): Promise<string> {
  const id = `msg_${randomUUID()}`;
  await db()
    .insert(webhookMessages)
    .values({ id, ownerId, eventType: 'completed', queue: 'q', jobId: 'j', body: '{}', createdAt });
  for (const [index, state] of states.entries()) {
    // One delivery per message and endpoint: each further state gets an endpoint of its own.
    const endpoint = index === 0 ? endpointId : await addEndpoint(db(), ownerId, 'all');
    const [delivery] = await db()
      .insert(webhookDeliveries)
      .values({ messageId: id, endpointId: endpoint, state })
      .returning({ id: webhookDeliveries.id });
    await db().insert(webhookAttempts).values({
      deliveryId: delivery!.id,
      attemptNumber: 1,
      requestedAt: createdAt,
      durationMs: 5,
    });
  }
  return id;
}

const remaining = async (ids: readonly string[]) =>
  (
    await db()
      .select({ id: webhookMessages.id })
      .from(webhookMessages)
      .where(inArray(webhookMessages.id, [...ids]))
  ).map((row) => row.id);

describe('pruneWebhookMessages', () => {
  it('deletes old messages whose deliveries are all finished or that have none, with their deliveries and attempts', async () => {
    const owner = await seedUser(db());
    const endpoint = await addEndpoint(db(), owner, 'all');
    const doomed = {
      undelivered: await seedMessage(owner, endpoint, old(), []),
      succeeded: await seedMessage(owner, endpoint, old(), ['succeeded']),
      finished: await seedMessage(owner, endpoint, old(), ['succeeded', 'failed']),
    };
    const kept = {
      pending: await seedMessage(owner, endpoint, old(), ['succeeded', 'pending']),
      sending: await seedMessage(owner, endpoint, old(), ['sending']),
      recent: await seedMessage(owner, endpoint, recent(), ['succeeded']),
      recentUndelivered: await seedMessage(owner, endpoint, recent(), []),
    };

    expect(await pruneWebhookMessages(db(), 30)).toBe(3);
    expect((await remaining([...Object.values(doomed), ...Object.values(kept)])).sort()).toEqual(
      Object.values(kept).sort(),
    );
    const orphans = await db()
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(inArray(webhookDeliveries.messageId, Object.values(doomed)));
    expect(orphans).toEqual([]);
    const [{ attempts } = { attempts: -1 }] = await db()
      .select({ attempts: sql<number>`count(*)::int` })
      .from(webhookAttempts)
      .innerJoin(webhookDeliveries, eq(webhookDeliveries.id, webhookAttempts.deliveryId))
      .where(inArray(webhookDeliveries.messageId, Object.values(kept)));
    // One attempt per delivery of the kept messages: 2 + 1 + 1 + 0.
    expect(attempts).toBe(4);
  });

  it('deletes a backlog larger than one statement may, chunk by chunk, and stops once aborted', async () => {
    const owner = await seedUser(db());
    await db().execute(sql`
      insert into webhook_messages (id, owner_id, event_type, body, created_at)
      select 'msg_' || ${owner} || '_' || n, ${owner}, 'test', '{}', now() - interval '40 days'
      from generate_series(1, 12001) as n`);
    const aborted = new AbortController();
    aborted.abort();
    expect(await pruneWebhookMessages(db(), 30, aborted.signal)).toBe(0);

    expect(await pruneWebhookMessages(db(), 30)).toBeGreaterThanOrEqual(12_001);
    expect(await db().$count(webhookMessages, eq(webhookMessages.ownerId, owner))).toBe(0);
  });
});

describe('createRetention', () => {
  it('prunes when it starts and again on its timer', async () => {
    const owner = await seedUser(db());
    const endpoint = await addEndpoint(db(), owner, 'all');
    const first = await seedMessage(owner, endpoint, old(), ['failed']);
    const retention = createRetention(deps, 50);
    retention.start();
    try {
      await waitUntil(async () => (await remaining([first])).length === 0, {
        what: 'the first prune',
      });
      const second = await seedMessage(owner, endpoint, old(), []);
      await waitUntil(async () => (await remaining([second])).length === 0, {
        what: 'a prune on the timer',
      });
    } finally {
      await retention.stop();
    }
  });

  it('logs a failed prune instead of throwing, and stops all the same', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    // Nothing listens on port 1: every query fails at once.
    const unreachable = createDb('postgres://postgres@127.0.0.1:1/conveyor', {
      connectTimeoutSeconds: 1,
    });
    const retention = createRetention({ ...deps, db: unreachable, logger: pino(sink) });
    try {
      retention.start();
      await waitUntil(() => lines.some((line) => line.msg === 'webhook message pruning failed'), {
        what: 'the failure to be logged',
      });
    } finally {
      await retention.stop();
      await unreachable.close();
    }
  });
});
