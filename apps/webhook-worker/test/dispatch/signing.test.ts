import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { generateSecret } from '@conveyor/webhooks/secrets';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type ReceivedRequest, type Receiver } from '../helpers/receiver.js';
import {
  createDelivery,
  createEndpoint,
  createUser,
  type EndpointFixture,
} from '../helpers/webhook-rows.js';
import { startDispatcher, type TestDispatcher } from './start-dispatcher.js';

let database: TestDatabase;
let receiver: Receiver;
let dispatcher: TestDispatcher;

beforeAll(async () => {
  database = await createTestDatabase();
  receiver = await startReceiver();
  dispatcher = await startDispatcher({ databaseUrl: database.url });
});
afterAll(async () => {
  await dispatcher.cleanup();
  await receiver.close();
  await database.drop();
});

/** The headers `standardwebhooks` reads, as the receiver got them. */
const signatureHeaders = (request: ReceivedRequest) => ({
  'webhook-id': String(request.headers['webhook-id']),
  'webhook-timestamp': String(request.headers['webhook-timestamp']),
  'webhook-signature': String(request.headers['webhook-signature']),
});

async function deliver(path: string, endpoint: Omit<EndpointFixture, 'url'>, body?: string) {
  const { db } = dispatcher;
  const row = await createEndpoint(db, { ...endpoint, url: receiver.url(path) });
  const delivery = await createDelivery(db, { endpoint: row, ...(body ? { body } : {}) });
  const [request] = await receiver.waitForRequests(path, 1);
  return { delivery, request: request! };
}

describe('signed requests', () => {
  it('sends the stored bytes as JSON, signed so that the standardwebhooks verifier accepts them', async () => {
    const user = await createUser(dispatcher.db);
    const secret = generateSecret();
    // Key order, spacing and non-ASCII characters all stay as stored.
    const body =
      '{"id":"42","jobname":"résumé ✓","userId":"u","result":{"b":1,"a":[2, 3]},"eventType":"completed"}';
    const before = Math.floor(Date.now() / 1_000);
    const { delivery, request } = await deliver('/plain', { ownerId: user.id, secret }, body);

    expect(request.method).toBe('POST');
    expect(request.body.equals(Buffer.from(body))).toBe(true);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('Conveyor-Webhooks/1.0');
    expect(request.headers['webhook-id']).toBe(delivery.messageId);
    const timestamp = Number(request.headers['webhook-timestamp']);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1_000));

    expect(new Webhook(secret).verify(request.body, signatureHeaders(request))).toEqual(
      JSON.parse(body),
    );
    expect(() =>
      new Webhook(generateSecret()).verify(request.body, signatureHeaders(request)),
    ).toThrow();
    const tampered = Buffer.from(body.replace('42', '43'));
    expect(() => new Webhook(secret).verify(tampered, signatureHeaders(request))).toThrow();
  });

  it('signs with both secrets while the previous one has not expired', async () => {
    const user = await createUser(dispatcher.db);
    const [previous, current] = [generateSecret(), generateSecret()];
    const { request } = await deliver('/rotating', {
      ownerId: user.id,
      secret: current,
      previousSecret: previous,
      previousSecretExpiresAt: new Date(Date.now() + 24 * 3_600_000),
    });

    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [previous, current]) {
      expect(() =>
        new Webhook(secret).verify(request.body, signatureHeaders(request)),
      ).not.toThrow();
    }
  });

  it('signs with the current secret only once the previous one has expired', async () => {
    const user = await createUser(dispatcher.db);
    const [previous, current] = [generateSecret(), generateSecret()];
    const { request } = await deliver('/rotated', {
      ownerId: user.id,
      secret: current,
      previousSecret: previous,
      previousSecretExpiresAt: new Date(Date.now() - 1_000),
    });

    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() =>
      new Webhook(current).verify(request.body, signatureHeaders(request)),
    ).not.toThrow();
    expect(() => new Webhook(previous).verify(request.body, signatureHeaders(request))).toThrow();
  });
});
