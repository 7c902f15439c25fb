import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { waitUntil } from '@conveyor/test-harness/ports';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCanary, startReceiver, type Canary, type Receiver } from '../helpers/receiver.js';
import {
  attemptsOf,
  createDelivery,
  createEndpoint,
  createUser,
  deliveryRow,
  endpointRow,
  notificationsOf,
} from '../helpers/webhook-rows.js';
import { startDispatcher, type TestDispatcher } from './start-dispatcher.js';

let database: TestDatabase;
let dispatcher: TestDispatcher;
let receiver: Receiver;
let canary: Canary;

const TIMEOUT_MS = 1_000;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());
afterEach(async () => {
  await dispatcher.cleanup();
  await Promise.all([receiver.close(), canary.close()]);
});

async function setUp(env: Record<string, string> = {}) {
  receiver = await startReceiver();
  canary = await startCanary();
  dispatcher = await startDispatcher({
    databaseUrl: database.url,
    env: { WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS), WEBHOOK_MAX_RETRIES: '0', ...env },
  });
  const { db } = dispatcher;
  const user = await createUser(db);
  const endpoint = await createEndpoint(db, { ownerId: user.id, url: receiver.url('/hook') });
  return { db, user, endpoint };
}

const settled = (db: TestDispatcher['db'], id: number) =>
  waitUntil(async () => ['succeeded', 'failed'].includes((await deliveryRow(db, id)).state), {
    what: `delivery ${id} to end`,
  });

describe('responses', () => {
  it('counts a redirect as a failed attempt and never contacts its Location', async () => {
    const { db, endpoint } = await setUp({
      WEBHOOK_MAX_RETRIES: '1',
      WEBHOOK_RETRY_DELAYS_MS: '50',
    });
    receiver.script('/hook', [
      { status: 302, headers: { location: canary.url('/elsewhere') } },
      { status: 307, headers: { location: canary.url('/elsewhere') } },
    ]);
    const delivery = await createDelivery(db, { endpoint });

    await settled(db, delivery.id);
    expect(await attemptsOf(db, delivery.id)).toMatchObject([
      { statusCode: 302, errorClass: 'redirect' },
      { statusCode: 307, errorClass: 'redirect' },
    ]);
    expect(await deliveryRow(db, delivery.id)).toMatchObject({ state: 'failed', lastStatus: 307 });
    expect(canary.connections()).toBe(0);
  });

  it('disables an endpoint that answers 410 Gone and fails its pending deliveries', async () => {
    const { db, user, endpoint } = await setUp({ WEBHOOK_MAX_RETRIES: '3' });
    receiver.script('/hook', [{ status: 410, body: 'gone for good' }]);
    const later = await createDelivery(db, {
      endpoint,
      nextAttemptAt: new Date(Date.now() + 60_000),
      coalesceKey: 'renders/42',
    });
    const delivery = await createDelivery(db, { endpoint });

    await settled(db, delivery.id);
    expect(await attemptsOf(db, delivery.id)).toMatchObject([
      { statusCode: 410, errorClass: 'http_status', nextAttemptAt: null },
    ]);
    expect(await deliveryRow(db, delivery.id)).toMatchObject({ state: 'failed', lastStatus: 410 });
    const disabled = await endpointRow(db, endpoint.id);
    expect(disabled).toMatchObject({ active: false, disabledReason: 'gone' });
    expect(disabled.disabledAt).toBeInstanceOf(Date);
    expect(await deliveryRow(db, later.id)).toMatchObject({
      state: 'failed',
      lastError: 'endpoint disabled',
      coalesceKey: null,
      attemptCount: 0,
    });
    await waitUntil(async () => (await notificationsOf(db, user.id)).length === 1);
    const [notice] = await notificationsOf(db, user.id);
    expect(notice).toMatchObject({ type: 'SYSTEM', title: 'Webhook endpoint disabled' });
    expect(notice!.message).toContain(endpoint.url);
    expect(notice!.message).toContain('410 Gone');
    expect(receiver.requestsTo('/hook')).toHaveLength(1);
  });

  it('ends an attempt that gets no answer at the timeout, within 10%', async () => {
    const { db, endpoint } = await setUp();
    receiver.script('/hook', [{ delayMs: Infinity }]);
    const delivery = await createDelivery(db, { endpoint });

    await settled(db, delivery.id);
    const [attempt] = await attemptsOf(db, delivery.id);
    expect(attempt).toMatchObject({ statusCode: null, errorClass: 'timeout' });
    expect(attempt!.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(attempt!.durationMs).toBeLessThanOrEqual(TIMEOUT_MS * 1.1);
    // The receiver saw the connection dropped at the deadline, measured on its own clock.
    const [request] = receiver.requestsTo('/hook');
    await waitUntil(() => request!.endedAt !== undefined);
    expect(request!.endedAt! - request!.receivedAt).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
    expect(request!.endedAt! - request!.receivedAt).toBeLessThanOrEqual(TIMEOUT_MS * 1.1);
    expect(await deliveryRow(db, delivery.id)).toMatchObject({
      state: 'failed',
      lastError: `no answer within ${TIMEOUT_MS} ms`,
    });
  });

  it('bounds a dribbling body by the same deadline and keeps the answered status', async () => {
    const { db, endpoint } = await setUp();
    receiver.script('/hook', [
      { status: 200, body: 'accepted', streamBytes: 1_000, dribbleMs: 50 },
    ]);
    const delivery = await createDelivery(db, { endpoint });

    await settled(db, delivery.id);
    const [attempt] = await attemptsOf(db, delivery.id);
    expect(attempt).toMatchObject({ statusCode: 200, errorClass: null });
    expect(attempt!.responseBody).toMatch(/^acceptedx+$/);
    expect(attempt!.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(attempt!.durationMs).toBeLessThanOrEqual(TIMEOUT_MS * 1.1);
    expect(await deliveryRow(db, delivery.id)).toMatchObject({ state: 'succeeded' });
  });

  it('cuts a 100 MB response at the read cap and stores at most 4 KiB of it', async () => {
    const { db, endpoint } = await setUp();
    const hundredMegabytes = 100 * 1024 * 1024;
    receiver.script('/hook', [
      { status: 500, body: 'é'.repeat(3_000), streamBytes: hundredMegabytes },
    ]);
    const delivery = await createDelivery(db, { endpoint });
    const heapBefore = process.memoryUsage().heapUsed;

    await settled(db, delivery.id);
    const [attempt] = await attemptsOf(db, delivery.id);
    expect(attempt).toMatchObject({ statusCode: 500, errorClass: 'http_status' });
    expect(attempt!.durationMs).toBeLessThan(500);
    // 4 KiB of two-byte characters, cut on a character boundary.
    expect(Buffer.byteLength(attempt!.responseBody!)).toBeLessThanOrEqual(4 * 1024);
    expect(attempt!.responseBody).toBe('é'.repeat(2_048));
    const [request] = receiver.requestsTo('/hook');
    await waitUntil(() => request!.endedAt !== undefined);
    // What the receiver got out before the connection was cut: socket buffers, not 100 MB.
    expect(request!.bytesSent).toBeLessThan(16 * 1024 * 1024);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024);
  });
});
