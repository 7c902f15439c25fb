import type { LookupAddress } from 'node:dns';
import { connect, createServer, type LookupFunction, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowList } from '../src/addresses.js';
import {
  ADDRESS_REFUSED,
  checkUrlBeforeConnect,
  createCheckedLookup,
  isAddressRefused,
} from '../src/connect.js';

/** Names resolve only where a test says; nothing here depends on the machine's DNS. */
const zone = new Map<string, readonly string[]>([
  ['public.example.com', ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']],
  ['rebound.test', ['127.0.0.1']],
  ['split.test', ['127.0.0.2', '127.0.0.1']],
  ['allowed.test', ['127.0.0.2']],
]);
const resolve = async (hostname: string) => {
  const addresses = zone.get(hostname);
  if (!addresses) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses;
};

type LookupAnswer = { error: NodeJS.ErrnoException | null; address: unknown; family?: number };

/** Calls a lookup the way `net.connect` does and collects its one answer. */
function ask(lookup: LookupFunction, hostname: string, options: object): Promise<LookupAnswer> {
  return new Promise((done) => {
    lookup(hostname, options, (error, address, family) => done({ error, address, family }));
  });
}

/** A TCP server that counts the connections it accepts and closes each at once. */
async function countingServer(host: string, port = 0) {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((listening) => server.listen(port, host, listening));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    connections: () => connections,
    close: () => new Promise<void>((closed) => server.close(() => closed())),
  };
}

function tryConnect(host: string, port: number, lookup: LookupFunction) {
  return new Promise<{ connected: boolean; error?: NodeJS.ErrnoException }>((done) => {
    const socket = connect({ host, port, lookup });
    socket.once('connect', () => {
      socket.destroy();
      done({ connected: true });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done({ connected: false, error }));
  });
}

describe('createCheckedLookup', () => {
  const lookup = createCheckedLookup({ resolve });

  it('hands over every checked address when asked for all, with its family', async () => {
    const answer = await ask(lookup, 'public.example.com', { all: true });
    expect(answer.error).toBeNull();
    expect(answer.address).toEqual([
      { address: '93.184.215.14', family: 4 },
      { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
    ] satisfies LookupAddress[]);
  });

  it('hands over the first address of the family asked for when not asked for all', async () => {
    expect(await ask(lookup, 'public.example.com', {})).toMatchObject({
      error: null,
      address: '93.184.215.14',
      family: 4,
    });
    expect(await ask(lookup, 'public.example.com', { family: 6 })).toMatchObject({
      address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c',
      family: 6,
    });
  });

  it('refuses a name when any one of its addresses is not public', async () => {
    for (const hostname of ['rebound.test', 'split.test']) {
      const answer = await ask(lookup, hostname, { all: true });
      expect(answer.error?.code, hostname).toBe(ADDRESS_REFUSED);
      expect(answer.error?.message).toMatch(/resolves to a non-public address \(127\.0\.0\.\d\)/);
    }
  });

  it('passes a resolution failure on as it came', async () => {
    const answer = await ask(lookup, 'unknown.test', {});
    expect(answer.error?.code).toBe('ENOTFOUND');
  });

  it('lets the allow-list through, and still refuses what it does not name', async () => {
    const allowing = createCheckedLookup({ resolve, allowList: parseAllowList(['127.0.0.2/32']) });
    expect(await ask(allowing, 'allowed.test', {})).toMatchObject({ address: '127.0.0.2' });
    expect((await ask(allowing, 'split.test', {})).error?.code).toBe(ADDRESS_REFUSED);
  });

  it('refuses localhost with the system resolver', async () => {
    const answer = await ask(createCheckedLookup({}), 'localhost', { all: true });
    expect(answer.error?.code).toBe(ADDRESS_REFUSED);
  });
});

describe('createCheckedLookup under net.connect', () => {
  // The canary listens on a loopback address the allow-list does not name; the allowed
  // server listens on the same port of another loopback address.
  let canary: Awaited<ReturnType<typeof countingServer>>;
  let allowed: Awaited<ReturnType<typeof countingServer>>;
  const lookup = createCheckedLookup({ resolve, allowList: parseAllowList(['127.0.0.2/32']) });

  beforeAll(async () => {
    canary = await countingServer('127.0.0.1');
    allowed = await countingServer('127.0.0.2', canary.port);
  });
  afterAll(async () => {
    await Promise.all([canary.close(), allowed.close()]);
  });

  it('never connects to a blocked address a name resolves to', async () => {
    for (const hostname of ['rebound.test', 'split.test']) {
      const result = await tryConnect(hostname, canary.port, lookup);
      expect(result.connected).toBe(false);
      expect(isAddressRefused(result.error)).toBe(true);
    }
    expect(canary.connections()).toBe(0);
  });

  it('connects to the checked address when every address is allowed', async () => {
    expect(await tryConnect('allowed.test', canary.port, lookup)).toEqual({ connected: true });
    expect(allowed.connections()).toBe(1);
    expect(canary.connections()).toBe(0);
  });
});

describe('checkUrlBeforeConnect', () => {
  const policy = { allowHttp: true, allowList: parseAllowList(['127.0.0.2/32']) };

  it('refuses schemes, credentials and malformed URLs as URL problems', () => {
    for (const url of [
      'ftp://public.example.com/',
      'file:///etc/passwd',
      'http://user:secret@public.example.com/',
      'http://a@127.0.0.2/',
      'not a url',
    ]) {
      expect(checkUrlBeforeConnect(url, policy), url).toMatchObject({ ok: false, refused: 'url' });
    }
    expect(checkUrlBeforeConnect('http://public.example.com/', { allowHttp: false })).toEqual({
      ok: false,
      refused: 'url',
      reason: 'only https URLs',
    });
  });

  it('refuses IP-literal hosts that are not public, in every spelling', () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://169.254.169.254/',
      'http://[64:ff9b::7f00:1]/',
    ]) {
      expect(checkUrlBeforeConnect(url, policy), url).toMatchObject({
        ok: false,
        refused: 'address',
      });
    }
  });

  it('leaves host names to the lookup and lets allowed literals through', () => {
    expect(checkUrlBeforeConnect('https://rebound.test/hook', policy)).toMatchObject({ ok: true });
    expect(checkUrlBeforeConnect('http://127.0.0.2:8080/hook', policy)).toMatchObject({
      ok: true,
    });
  });
});

describe('isAddressRefused', () => {
  it('finds the refusal in an error that wraps it', () => {
    const refusal = Object.assign(new Error('refused'), { code: ADDRESS_REFUSED });
    expect(isAddressRefused(new Error('fetch failed', { cause: refusal }))).toBe(true);
    expect(isAddressRefused(new Error('ECONNREFUSED'))).toBe(false);
    expect(isAddressRefused('not an error')).toBe(false);
  });
});
