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
  endpointRow,
  notificationsOf,
} from '../helpers/webhook-rows.js';
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

async function setUp(env: Record<string, string>) {
  receiver = await startReceiver();
  receiver.script('/failing', [{ status: 500 }]);
  dispatcher = await startDispatcher({ databaseUrl: database.url, env });
  return { db: dispatcher.db, user: await createUser(dispatcher.db) };
}

describe('endpoint health', () => {
  it('disables an endpoint failing without a success for the configured period and notifies its owner once', async () => {
    // 0.0003 hours is 1.08 s of failures; a retry every 100 ms keeps the endpoint failing.
    const { db, user } = await setUp({
      WEBHOOK_DISABLE_AFTER_HOURS: '0.0003',
      WEBHOOK_MAX_RETRIES: '20',
      WEBHOOK_RETRY_DELAYS_MS: '100',
    });
    const endpoint = await createEndpoint(db, { ownerId: user.id, url: receiver.url('/failing') });
    const deliveries = await createDeliveries(db, endpoint, 3);
    const future = await createDelivery(db, {
      endpoint,
      nextAttemptAt: new Date(Date.now() + 60_000),
    });

    await waitUntil(async () => (await endpointRow(db, endpoint.id)).failingSince !== null);
    const failingSince = (await endpointRow(db, endpoint.id)).failingSince!;
    expect((await endpointRow(db, endpoint.id)).active).toBe(true);

    await waitUntil(async () => !(await endpointRow(db, endpoint.id)).active, { timeoutMs: 5_000 });
    const disabled = await endpointRow(db, endpoint.id);
    expect(disabled).toMatchObject({ disabledReason: 'failing', failingSince });
    expect(disabled.disabledAt!.getTime() - failingSince.getTime()).toBeGreaterThanOrEqual(1_080);

    // Nothing of it is sent any more; what was waiting for a retry failed with it.
    for (const { id } of deliveries) {
      await waitUntil(async () => (await deliveryRow(db, id)).state === 'failed');
    }
    expect(await deliveryRow(db, future.id)).toMatchObject({
      state: 'failed',
      lastError: 'endpoint disabled',
    });
    const sent = receiver.requestsTo('/failing').length;
    await new Promise((settle) => setTimeout(settle, 300));
    expect(receiver.requestsTo('/failing')).toHaveLength(sent);

    const notices = await notificationsOf(db, user.id);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      type: 'SYSTEM',
      priority: 'HIGH',
      title: 'Webhook endpoint disabled',
      metadata: { webhookId: endpoint.id, url: endpoint.url, reason: 'failing' },
    });
    expect(notices[0]!.message).toContain(
      `Your webhook endpoint ${endpoint.url} failed every delivery`,
    );
  });

  it('notifies once however many failures arrive together past the period', async () => {
    const { db, user } = await setUp({ WEBHOOK_DISABLE_AFTER_HOURS: '1' });
    const endpoint = await createEndpoint(db, {
      ownerId: user.id,
      url: receiver.url('/failing'),
      failingSince: new Date(Date.now() - 2 * 3_600_000),
    });
    const deliveries = await createDeliveries(db, endpoint, 8);

    for (const { id } of deliveries) {
      await waitUntil(async () => (await deliveryRow(db, id)).state === 'failed');
    }
    expect(await endpointRow(db, endpoint.id)).toMatchObject({
      active: false,
      disabledReason: 'failing',
    });
    await new Promise((settle) => setTimeout(settle, 200));
    expect(await notificationsOf(db, user.id)).toHaveLength(1);
  });

  it('starts the failing period at the first failure, keeps it through later ones, and ends it at a success', async () => {
    const { db, user } = await setUp({
      WEBHOOK_DISABLE_AFTER_HOURS: '1',
      WEBHOOK_RETRY_DELAYS_MS: '50',
    });
    receiver.script('/flaky', [{ status: 500 }, { status: 500 }, { status: 200 }]);
    const endpoint = await createEndpoint(db, { ownerId: user.id, url: receiver.url('/flaky') });
    const delivery = await createDelivery(db, { endpoint });

    await waitUntil(async () => (await attemptsOf(db, delivery.id)).length === 1);
    const [first] = await attemptsOf(db, delivery.id);
    expect((await endpointRow(db, endpoint.id)).failingSince).toEqual(first!.requestedAt);
    await waitUntil(async () => (await attemptsOf(db, delivery.id)).length === 2);
    expect((await endpointRow(db, endpoint.id)).failingSince).toEqual(first!.requestedAt);

    await waitUntil(async () => (await deliveryRow(db, delivery.id)).state === 'succeeded');
    expect(await endpointRow(db, endpoint.id)).toMatchObject({ failingSince: null, active: true });
    expect(await notificationsOf(db, user.id)).toHaveLength(0);
  });
});
