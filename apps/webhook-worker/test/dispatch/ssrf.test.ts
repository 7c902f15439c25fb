import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { waitUntil } from '@conveyor/test-harness/ports';
import { parseAllowList } from '@conveyor/url-guard/addresses';
import { checkTarget } from '@conveyor/url-guard/target';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCanary, startReceiver, type Canary, type Receiver } from '../helpers/receiver.js';
import {
  attemptsOf,
  createDelivery,
  createEndpoint,
  createUser,
  deliveryRow,
} from '../helpers/webhook-rows.js';
import { startDispatcher, type TestDispatcher } from './start-dispatcher.js';

// The canary listens on 127.0.0.1, which the allow-list does not name; the one legitimate
// receiver listens on the same port of 127.0.0.2, which it does. A host name of the test's
// zone that leads to the canary's port reaches the canary only if a check failed.
const ALLOWED = '127.0.0.2/32';
const zone = new Map<string, readonly string[]>();
const resolve = async (hostname: string) => {
  const addresses = zone.get(hostname);
  if (!addresses) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses;
};

let database: TestDatabase;
let canary: Canary;
let receiver: Receiver;
let dispatcher: TestDispatcher;

beforeAll(async () => {
  database = await createTestDatabase();
  canary = await startCanary({ host: '127.0.0.1' });
  receiver = await startReceiver({ host: '127.0.0.2', port: canary.port });
  dispatcher = await startDispatcher({
    databaseUrl: database.url,
    env: { WEBHOOK_ALLOWED_NETWORKS: ALLOWED, WEBHOOK_MAX_RETRIES: '0' },
    resolve,
  });
});
afterAll(async () => {
  await dispatcher.cleanup();
  await Promise.all([receiver.close(), canary.close()]);
  await database.drop();
});

/** Delivers one event to `url` and returns its only attempt. */
async function deliverTo(url: string) {
  const { db } = dispatcher;
  const user = await createUser(db);
  const endpoint = await createEndpoint(db, { ownerId: user.id, url });
  const delivery = await createDelivery(db, { endpoint });
  await waitUntil(async () =>
    ['succeeded', 'failed'].includes((await deliveryRow(db, delivery.id)).state),
  );
  const [attempt] = await attemptsOf(db, delivery.id);
  return attempt!;
}

describe('SSRF at delivery', () => {
  it('reaches nothing through a name that resolved to a public address at registration and to a blocked one now', async () => {
    const url = `http://rebind.test:${canary.port}/hook`;
    zone.set('rebind.test', ['93.184.215.14']);
    const policy = { allowHttp: true, allowList: parseAllowList([ALLOWED]), resolve };
    expect(await checkTarget(url, policy)).toMatchObject({ ok: true });

    zone.set('rebind.test', ['127.0.0.1']);
    expect(await deliverTo(url)).toMatchObject({
      errorClass: 'address_refused',
      statusCode: null,
    });
    expect(canary.connections()).toBe(0);
  });

  it('refuses a name when any one of its addresses is blocked', async () => {
    zone.set('split.test', ['127.0.0.2', '127.0.0.1']);
    expect(await deliverTo(`http://split.test:${canary.port}/hook`)).toMatchObject({
      errorClass: 'address_refused',
    });
    expect(canary.connections()).toBe(0);
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses blocked IP literals, which connect without a lookup', async () => {
    for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', '2130706433', '[::1]']) {
      expect(await deliverTo(`http://${host}:${canary.port}/hook`), host).toMatchObject({
        errorClass: 'address_refused',
      });
    }
    expect(canary.connections()).toBe(0);
  });

  it('refuses credentials in the URL and schemes other than http(s)', async () => {
    for (const url of [
      `http://user:secret@127.0.0.2:${canary.port}/hook`,
      `ftp://127.0.0.2:${canary.port}/hook`,
    ]) {
      expect(await deliverTo(url), url).toMatchObject({ errorClass: 'invalid_url' });
    }
    expect(receiver.requests).toHaveLength(0);
  });

  it('connects to the checked address when every address of the name is allowed', async () => {
    zone.set('allowed.test', ['127.0.0.2']);
    expect(await deliverTo(`http://allowed.test:${canary.port}/hook`)).toMatchObject({
      statusCode: 200,
      errorClass: null,
    });
    expect(receiver.requestsTo('/hook')).toHaveLength(1);
    expect(receiver.requestsTo('/hook')[0]!.headers.host).toBe(`allowed.test:${canary.port}`);
    expect(canary.connections()).toBe(0);
  });
});
