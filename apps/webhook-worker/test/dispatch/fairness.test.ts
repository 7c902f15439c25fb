import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { createDeliveries, createEndpoint, createUser } from '../helpers/webhook-rows.js';
import { startDispatcher, type TestDispatcher } from './start-dispatcher.js';

let database: TestDatabase;
let dispatcher: TestDispatcher;
let receiver: Receiver;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());
afterEach(async () => {
  await dispatcher.cleanup();
  await receiver.close();
});

const TIMEOUT_MS = 3_000;

/** Milliseconds from storing `count` deliveries to `path` until the receiver has them all. */
async function timeToDeliver(path: string, count: number): Promise<number> {
  const { db } = dispatcher;
  const user = await createUser(db);
  const endpoint = await createEndpoint(db, { ownerId: user.id, url: receiver.url(path) });
  const started = Date.now();
  await createDeliveries(db, endpoint, count);
  await receiver.waitForRequests(path, count, 10_000);
  return Date.now() - started;
}

describe('fairness between endpoints', () => {
  it('sends to a healthy endpoint at its usual pace while another never answers', async () => {
    receiver = await startReceiver();
    receiver.script('/slow', [{ delayMs: Infinity }]);
    dispatcher = await startDispatcher({
      databaseUrl: database.url,
      env: {
        WEBHOOK_CONCURRENCY: '6',
        WEBHOOK_ENDPOINT_CONCURRENCY: '2',
        WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
        WEBHOOK_CLAIM_LEASE_MS: String(3 * TIMEOUT_MS),
      },
    });
    const alone = await timeToDeliver('/alone', 60);

    // The slow endpoint's deliveries are older, so every claim meets them first.
    const { db } = dispatcher;
    const owner = await createUser(db);
    const slow = await createEndpoint(db, { ownerId: owner.id, url: receiver.url('/slow') });
    await createDeliveries(db, slow, 40);
    await receiver.waitForRequests('/slow', 2);
    const beside = await timeToDeliver('/beside', 60);

    expect(beside).toBeLessThan(TIMEOUT_MS / 2);
    expect(beside).toBeLessThanOrEqual(alone * 3 + 250);
    // The slow endpoint holds its own two slots and no more.
    expect(receiver.requestsTo('/slow')).toHaveLength(2);
  });

  it('delivers a few thousand deliveries across endpoints at hundreds per second or more', async () => {
    receiver = await startReceiver();
    dispatcher = await startDispatcher({ databaseUrl: database.url });
    const { db } = dispatcher;
    const user = await createUser(db);
    const endpoints = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        createEndpoint(db, { ownerId: user.id, url: receiver.url(`/bulk/${index}`) }),
      ),
    );
    await dispatcher.stop();
    for (const endpoint of endpoints) await createDeliveries(db, endpoint, 100);

    const running = await startDispatcher({ databaseUrl: database.url });
    const started = Date.now();
    try {
      await (async () => {
        while (receiver.requests.length < 2_000) await new Promise((tick) => setTimeout(tick, 5));
      })();
      const perSecond = (2_000 * 1_000) / (Date.now() - started);
      expect(perSecond).toBeGreaterThan(200);
    } finally {
      await running.cleanup();
    }
  });
});
