import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { waitUntil } from '@conveyor/test-harness/ports';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import {
  attemptsOf,
  createDelivery,
  createEndpoint,
  createUser,
  deliveryRow,
} from '../helpers/webhook-rows.js';
import { startDispatcher, type TestDispatcher } from './start-dispatcher.js';

let database: TestDatabase;
let dispatchers: TestDispatcher[] = [];
let receivers: Receiver[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());
afterEach(async () => {
  for (const dispatcher of dispatchers) await dispatcher.cleanup();
  for (const receiver of receivers) await receiver.close();
  dispatchers = [];
  receivers = [];
});

/** Time from the previous request's arrival to the next one's: the retry delay plus the
 * worker's own latency (outcome write, poll at 20 ms, claim), which stays well under this. */
const LATENCY_MS = 150;

async function setUp(env: Record<string, string>) {
  const receiver = await startReceiver();
  receivers.push(receiver);
  const dispatcher = await startDispatcher({ databaseUrl: database.url, env });
  dispatchers.push(dispatcher);
  const { db } = dispatcher;
  const user = await createUser(db);
  const endpoint = await createEndpoint(db, { ownerId: user.id, url: receiver.url('/hook') });
  return { receiver, db, endpoint };
}

const gaps = (times: readonly number[]) => times.slice(1).map((time, i) => time - times[i]!);

describe('retries', () => {
  it('makes k+1 attempts for k failures and then a success, the gaps following the jittered backoff', async () => {
    const { receiver, db, endpoint } = await setUp({
      WEBHOOK_RETRY_BASE_MS: '300',
      WEBHOOK_RETRY_FACTOR: '2',
      WEBHOOK_RETRY_JITTER: '0.2',
    });
    receiver.script('/hook', [
      { status: 500, body: 'first failure' },
      { status: 502 },
      { status: 200, body: 'ok' },
    ]);
    const delivery = await createDelivery(db, { endpoint });

    const requests = await receiver.waitForRequests('/hook', 3);
    await waitUntil(async () => (await deliveryRow(db, delivery.id)).state === 'succeeded');

    const [first, second] = gaps(requests.map((request) => request.receivedAt));
    expect(first).toBeGreaterThanOrEqual(300 * 0.8);
    expect(first).toBeLessThanOrEqual(300 * 1.2 + LATENCY_MS);
    expect(second).toBeGreaterThanOrEqual(600 * 0.8);
    expect(second).toBeLessThanOrEqual(600 * 1.2 + LATENCY_MS);

    // One message: the same webhook-id on every attempt, each attempt signed at its own time.
    expect(new Set(requests.map((request) => request.headers['webhook-id']))).toEqual(
      new Set([delivery.messageId]),
    );
    const attempts = await attemptsOf(db, delivery.id);
    expect(attempts).toMatchObject([
      {
        attemptNumber: 1,
        statusCode: 500,
        errorClass: 'http_status',
        responseBody: 'first failure',
      },
      { attemptNumber: 2, statusCode: 502, errorClass: 'http_status' },
      {
        attemptNumber: 3,
        statusCode: 200,
        errorClass: null,
        responseBody: 'ok',
        nextAttemptAt: null,
      },
    ]);
    for (const failed of attempts.slice(0, 2)) {
      expect(failed.nextAttemptAt!.getTime()).toBeGreaterThan(failed.requestedAt.getTime());
    }
    expect(await deliveryRow(db, delivery.id)).toMatchObject({
      state: 'succeeded',
      attemptCount: 3,
      runAttempts: 3,
      lastStatus: 200,
      lastError: null,
      claimedBy: null,
      leaseUntil: null,
    });
  });

  it('waits exactly the spelled-out delays when jitter is off', async () => {
    const { receiver, db, endpoint } = await setUp({
      WEBHOOK_RETRY_DELAYS_MS: '200,500',
      WEBHOOK_RETRY_JITTER: '0',
    });
    receiver.script('/hook', [{ status: 500 }, { status: 500 }, { status: 204 }]);
    const delivery = await createDelivery(db, { endpoint });

    const requests = await receiver.waitForRequests('/hook', 3);
    const [first, second] = gaps(requests.map((request) => request.receivedAt));
    expect(first).toBeGreaterThanOrEqual(200);
    expect(first).toBeLessThanOrEqual(200 + LATENCY_MS);
    expect(second).toBeGreaterThanOrEqual(500);
    expect(second).toBeLessThanOrEqual(500 + LATENCY_MS);
    await waitUntil(async () => (await deliveryRow(db, delivery.id)).state === 'succeeded');
  });

  it('fails the delivery once its retries are spent, and sends nothing more', async () => {
    const { receiver, db, endpoint } = await setUp({
      WEBHOOK_MAX_RETRIES: '2',
      WEBHOOK_RETRY_DELAYS_MS: '50',
    });
    receiver.script('/hook', [{ status: 500, body: 'still broken' }]);
    const delivery = await createDelivery(db, { endpoint });

    await receiver.waitForRequests('/hook', 3);
    await waitUntil(async () => (await deliveryRow(db, delivery.id)).state === 'failed');
    await new Promise((settle) => setTimeout(settle, 300));

    expect(receiver.requestsTo('/hook')).toHaveLength(3);
    expect(await deliveryRow(db, delivery.id)).toMatchObject({
      state: 'failed',
      attemptCount: 3,
      lastStatus: 500,
      lastError: 'HTTP 500',
    });
    const attempts = await attemptsOf(db, delivery.id);
    expect(attempts.map((attempt) => attempt.nextAttemptAt === null)).toEqual([false, false, true]);
  });

  it('honours Retry-After in seconds on a 503 when it asks for longer than the backoff', async () => {
    const { receiver, db, endpoint } = await setUp({ WEBHOOK_RETRY_BASE_MS: '50' });
    receiver.script('/hook', [{ status: 503, headers: { 'retry-after': '2' } }, { status: 200 }]);
    const delivery = await createDelivery(db, { endpoint });

    const requests = await receiver.waitForRequests('/hook', 2, 5_000);
    const [gap] = gaps(requests.map((request) => request.receivedAt));
    expect(gap).toBeGreaterThanOrEqual(2_000);
    expect(gap).toBeLessThanOrEqual(2_000 + LATENCY_MS);
    const [first] = await attemptsOf(db, delivery.id);
    expect(first).toMatchObject({ statusCode: 503, errorClass: 'http_status' });
    expect(first!.nextAttemptAt!.getTime() - first!.requestedAt.getTime()).toBeGreaterThanOrEqual(
      2_000,
    );
  });

  it('caps a 429 Retry-After at WEBHOOK_RETRY_AFTER_MAX_MS', async () => {
    const { receiver, db, endpoint } = await setUp({
      WEBHOOK_RETRY_BASE_MS: '50',
      WEBHOOK_RETRY_AFTER_MAX_MS: '400',
    });
    receiver.script('/hook', [
      { status: 429, headers: { 'retry-after': '3600' } },
      { status: 200 },
    ]);
    await createDelivery(db, { endpoint });

    const requests = await receiver.waitForRequests('/hook', 2);
    const [gap] = gaps(requests.map((request) => request.receivedAt));
    expect(gap).toBeGreaterThanOrEqual(400);
    expect(gap).toBeLessThanOrEqual(400 + LATENCY_MS);
  });
});
