import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { waitUntil } from '@conveyor/test-harness/ports';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import {
  attemptsOf,
  createDeliveries,
  createDelivery,
  createEndpoint,
  createUser,
  deliveryRow,
} from '../helpers/webhook-rows.js';
import {
  startDispatcher,
  type DispatcherOptions,
  type TestDispatcher,
} from './start-dispatcher.js';

let database: TestDatabase;
let dispatchers: TestDispatcher[] = [];
let receiver: Receiver;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());
afterEach(async () => {
  for (const dispatcher of dispatchers.reverse()) await dispatcher.cleanup();
  dispatchers = [];
  await receiver.close();
});

async function start(options: Partial<DispatcherOptions> = {}) {
  const dispatcher = await startDispatcher({ databaseUrl: database.url, ...options });
  dispatchers.push(dispatcher);
  return dispatcher;
}

async function endpointFor(db: TestDispatcher['db'], path: string) {
  const user = await createUser(db);
  return createEndpoint(db, { ownerId: user.id, url: receiver.url(path) });
}

describe('claims', () => {
  it("takes over the deliveries of a dead worker once their lease has run out, and leaves a live worker's alone", async () => {
    receiver = await startReceiver();
    const { db } = await start();
    const endpoint = await endpointFor(db, '/hook');
    const dead = await createDelivery(db, {
      endpoint,
      state: 'sending',
      claimedBy: 'dead-worker',
      leaseUntil: new Date(Date.now() - 1_000),
    });
    const alive = await createDelivery(db, {
      endpoint,
      state: 'sending',
      claimedBy: 'live-worker',
      leaseUntil: new Date(Date.now() + 60_000),
    });

    await waitUntil(async () => (await deliveryRow(db, dead.id)).state === 'succeeded');
    expect(await attemptsOf(db, dead.id)).toMatchObject([{ attemptNumber: 1, statusCode: 200 }]);
    await new Promise((settle) => setTimeout(settle, 200));
    expect(await deliveryRow(db, alive.id)).toMatchObject({
      state: 'sending',
      claimedBy: 'live-worker',
    });
    expect(receiver.requestsTo('/hook').map((request) => request.headers['webhook-id'])).toEqual([
      dead.messageId,
    ]);
  });

  it('takes back its own claims at start, without waiting for their lease', async () => {
    receiver = await startReceiver();
    const setup = await start({ start: false });
    const endpoint = await endpointFor(setup.db, '/hook');
    const mine = await createDelivery(setup.db, {
      endpoint,
      state: 'sending',
      claimedBy: 'restarted-worker',
      leaseUntil: new Date(Date.now() + 60_000),
    });

    const { db } = await start({ workerName: 'restarted-worker' });
    await waitUntil(async () => (await deliveryRow(db, mine.id)).state === 'succeeded', {
      timeoutMs: 2_000,
    });
  });

  it('gives back claimed deliveries it has not sent when stopped, and waits for the one in flight', async () => {
    receiver = await startReceiver();
    receiver.script('/slow', [{ delayMs: Infinity }]);
    const dispatcher = await start({
      env: { WEBHOOK_ENDPOINT_CONCURRENCY: '1', WEBHOOK_TIMEOUT_MS: '1000' },
    });
    const { db } = dispatcher;
    const endpoint = await endpointFor(db, '/slow');
    const [first, second, third] = await createDeliveries(db, endpoint, 3);
    // One in flight and one claimed ahead of it (twice the endpoint's concurrency).
    await receiver.waitForRequests('/slow', 1);
    const claimedBy = async () =>
      Promise.all(
        [first, second, third].map(async (row) => (await deliveryRow(db, row!.id)).claimedBy),
      );
    expect((await claimedBy()).filter((name) => name === dispatcher.workerName)).toHaveLength(2);

    const stopping = dispatcher.stop();
    const stoppedAt = Date.now();
    await waitUntil(async () => (await claimedBy()).filter((name) => name !== null).length === 1, {
      timeoutMs: 500,
      intervalMs: 10,
    });
    await stopping;
    expect(Date.now() - stoppedAt).toBeGreaterThan(500);

    const rows = await Promise.all([first, second, third].map((row) => deliveryRow(db, row!.id)));
    for (const row of rows) {
      expect(row).toMatchObject({ state: 'pending', claimedBy: null, leaseUntil: null });
    }
    expect(rows.map((row) => row.attemptCount).sort()).toEqual([0, 0, 1]);
    expect(receiver.requestsTo('/slow')).toHaveLength(1);
  });

  it('sends each delivery once when two instances claim side by side', async () => {
    receiver = await startReceiver();
    const env = { WEBHOOK_CONCURRENCY: '8', WEBHOOK_ENDPOINT_CONCURRENCY: '4' };
    const [one, two] = [await start({ env }), await start({ env })];
    const endpoints = await Promise.all(
      ['/a', '/b', '/c'].map((path) => endpointFor(one.db, path)),
    );
    const rows = (
      await Promise.all(endpoints.map((endpoint) => createDeliveries(one.db, endpoint, 100)))
    ).flat();

    await waitUntil(() => receiver.requests.length >= rows.length, { timeoutMs: 15_000 });
    await new Promise((settle) => setTimeout(settle, 200));
    const ids = receiver.requests.map((request) => request.headers['webhook-id']);
    expect(ids).toHaveLength(rows.length);
    expect(new Set(ids)).toEqual(new Set(rows.map((row) => row.messageId)));
    for (const dispatcher of [one, two]) {
      expect(
        await dispatcher.deps.metrics.getSingleMetricAsString('webhook_attempts_total'),
      ).toMatch(/webhook_attempts_total\{outcome="succeeded",app="webhook-worker"\} [1-9]/);
    }
  });
});
