import { createTestDatabase } from '@conveyor/db/testing';
import { waitUntil } from '@conveyor/test-harness/ports';
import { startPrivatePostgres, type PrivateServer } from '@conveyor/test-harness/servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import {
  attemptsOf,
  createDeliveries,
  createDelivery,
  createEndpoint,
  createUser,
  deliveryRow,
} from '../helpers/webhook-rows.js';
import { startDispatcher, type TestDispatcher } from './start-dispatcher.js';

// An outage on a PostgreSQL server of the test's own: the shared one is never stopped.
let postgresServer: PrivateServer;
let receiver: Receiver;
let dispatcher: TestDispatcher;

beforeAll(async () => {
  postgresServer = await startPrivatePostgres();
  const database = await createTestDatabase(postgresServer.url);
  receiver = await startReceiver();
  dispatcher = await startDispatcher({
    databaseUrl: database.url,
    env: { WEBHOOK_CLAIM_LEASE_MS: '30000' },
  });
}, 90_000);
afterAll(async () => {
  await dispatcher.cleanup();
  await receiver.close();
  await postgresServer.destroy();
});

describe('a dispatcher whose PostgreSQL goes away', () => {
  it('keeps the outcomes of the requests in flight until they can be stored, and resumes by itself', async () => {
    const { db } = dispatcher;
    receiver.script('/hook', [{ delayMs: 800 }]);
    const user = await createUser(db);
    const endpoint = await createEndpoint(db, { ownerId: user.id, url: receiver.url('/hook') });
    const inFlight = await createDeliveries(db, endpoint, 3);
    await receiver.waitForRequests('/hook', 3);
    // The private server runs without synchronous commits and is killed outright: a checkpoint
    // makes the claims survive, as they would on a server that lost power only after them.
    await dispatcher.deps.db.sql`checkpoint`;

    await postgresServer.stop();
    // The answers come while PostgreSQL is away; claims and writes fail and back off.
    await new Promise((outage) => setTimeout(outage, 1_500));
    await postgresServer.start();

    for (const { id } of inFlight) {
      await waitUntil(async () => (await deliveryRow(db, id)).state === 'succeeded', {
        timeoutMs: 15_000,
        what: `delivery ${id} to be stored as sent`,
      });
      expect(await attemptsOf(db, id)).toMatchObject([{ attemptNumber: 1, statusCode: 200 }]);
    }
    expect(receiver.requestsTo('/hook')).toHaveLength(3);

    receiver.script('/after', [{ status: 204 }]);
    const after = await createEndpoint(db, { ownerId: user.id, url: receiver.url('/after') });
    const delivery = await createDelivery(db, { endpoint: after });
    await waitUntil(async () => (await deliveryRow(db, delivery.id)).state === 'succeeded');
  }, 30_000);
});
