import { bearer } from '@conveyor/service-kit/testing';
import { signToken } from '@conveyor/service-kit/tokens';
import { webhookEndpoints } from '@conveyor/db/schema';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startApp, type ErrorBody, type TestApp } from '../../helpers/app.js';
import { createWebhook, PUBLIC_URL } from '../../helpers/webhooks.js';

/**
 * URLs a webhook must never be registered with, under the default policy (development: `http:`
 * allowed, no allow-list). Names are resolved for real; those here resolve to a refused address
 * or not at all, and either way are refused, with or without a network.
 */
const refusedUrls = [
  // this host, in every spelling the URL parser turns into a loopback address
  'http://127.0.0.1',
  'http://127.0.0.1:8080/hook',
  'https://127.0.0.1/hook',
  'http://127.1',
  'http://127.0.1',
  'http://2130706433',
  'http://0x7f.1',
  'http://0x7f000001',
  'http://0x7f.0x0.0x0.0x1',
  'http://0177.0.0.1',
  'http://017700000001',
  'http://127.255.255.254',
  'http://%31%32%37.0.0.1/',
  'http://127。0。0。1/',
  'http://localhost',
  'http://localhost:3003/api/webhooks',
  'http://LOCALHOST./',
  'http://0',
  'http://0.0.0.0',
  'http://[::1]',
  'http://[::1]:8080/',
  'http://[::]',
  'http://[0:0:0:0:0:0:0:1]/',
  'http://[::ffff:127.0.0.1]',
  'http://[::ffff:7f00:1]',
  'http://[0:0:0:0:0:ffff:7f00:1]/',
  'http://[::127.0.0.1]/',
  // private networks
  'http://10.0.0.1',
  'http://10.255.255.255/',
  'http://172.16.0.1',
  'http://172.31.255.255/',
  'http://192.168.1.1',
  'http://192.168.0.1:8443/',
  'http://[::ffff:10.0.0.1]/',
  'http://[::ffff:192.168.1.1]/',
  'http://[fd00::1]',
  'http://[fc00::1]/',
  // link-local and cloud metadata
  'http://169.254.169.254/latest/meta-data',
  'https://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'http://169.254.0.1/',
  'http://0xa9fea9fe/',
  'http://2852039166/',
  'http://[::ffff:169.254.169.254]/',
  'http://metadata.google.internal',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://[fe80::1]',
  // CGNAT, documentation, benchmarking, reserved, multicast, broadcast
  'http://100.64.0.1',
  'http://100.127.255.254/',
  'http://192.0.2.10/',
  'http://198.51.100.1/',
  'http://203.0.113.9/',
  'http://198.18.0.1',
  'http://240.0.0.1',
  'http://255.255.255.255',
  'http://224.0.0.1',
  'http://239.255.255.250/',
  'http://[ff02::1]/',
  'http://192.0.0.8/',
  // IPv6 forms that reach IPv4 through a translator, and IPv6 documentation
  'http://[64:ff9b::7f00:1]',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[2002:7f00:1::]/',
  'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
  'http://[2001:db8::1]/',
  // credentials in the URL, even to a public address
  'http://a@127.0.0.1',
  'http://user:pass@example.com',
  'https://user@93.184.216.34/hook',
  'https://:secret@93.184.216.34/hook',
  // schemes other than http and https
  'ftp://example.com',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'gopher://x',
  'data:text/plain,hi',
  'ws://example.com',
  'wss://example.com/socket',
  'mailto:ops@example.com',
  'ssh://example.com',
  'dict://127.0.0.1:6379/info',
  'ldap://127.0.0.1/',
  // names that do not resolve
  'https://unknown.invalid/hook',
  'http://nonexistent.localhost/',
];

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t.close();
});

const storedEndpoints = async () =>
  (await t.deps.db.db.select({ total: count() }).from(webhookEndpoints))[0]?.total;

describe('registering a webhook URL (default policy)', () => {
  it(`refuses ${refusedUrls.length} forms of unsafe targets with 400 and stores nothing`, async () => {
    expect(refusedUrls.length).toBeGreaterThanOrEqual(60);
    for (const url of refusedUrls) {
      const response = await as(t.app, 'sam').post('/api/webhooks', { url, eventType: 'all' });
      expect(response.statusCode, url).toBe(400);
      const body = response.json<ErrorBody>();
      expect(body.error, url).toBe('Invalid request body');
      expect(body.details, url).toEqual([{ path: 'url', message: expect.any(String) }]);
    }
    expect(await storedEndpoints()).toBe(0);
  });

  it('refuses the same forms when a webhook is changed, and keeps its URL', async () => {
    const { webhook } = await createWebhook(t.app, 'tia');
    for (const url of refusedUrls) {
      const response = await as(t.app, 'tia').put(`/api/webhooks/${webhook.id}`, { url });
      expect(response.statusCode, url).toBe(400);
      expect(response.json<ErrorBody>().details, url).toEqual([
        { path: 'url', message: expect.any(String) },
      ]);
    }
    const stored = (await as(t.app, 'tia').get(`/api/webhooks/${webhook.id}`)).json();
    expect(stored.data.url).toBe(PUBLIC_URL);
  });

  it('says why a URL is refused', async () => {
    const reasons = await Promise.all(
      [
        'http://169.254.169.254/latest/meta-data',
        'http://user:pass@example.com',
        'ftp://example.com',
      ].map(async (url) => {
        const response = await as(t.app, 'uma').post('/api/webhooks', { url, eventType: 'all' });
        return response.json<ErrorBody>().details?.[0]?.message;
      }),
    );
    expect(reasons).toEqual([
      'the host resolves to a non-public address (169.254.169.254)',
      'credentials in the URL',
      'only http and https URLs',
    ]);
  });

  it('accepts http and https to a public address outside production', async () => {
    await createWebhook(t.app, 'vic', { url: 'http://93.184.216.34/hook' });
    await createWebhook(t.app, 'vic', { url: 'https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/' });
  });
});

describe('WEBHOOK_ALLOWED_NETWORKS', () => {
  it('lets a listed private network through, and nothing else', async () => {
    const allowing = await startApp({ WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8' });
    try {
      const { webhook } = await createWebhook(allowing.app, 'wes', {
        url: 'http://127.0.0.1:4010/hook',
      });
      expect(webhook.url).toBe('http://127.0.0.1:4010/hook');
      const metadata = await as(allowing.app, 'wes').post('/api/webhooks', {
        url: 'http://169.254.169.254/latest/meta-data',
        eventType: 'all',
      });
      expect(metadata.statusCode).toBe(400);
    } finally {
      await allowing.close();
    }
  });
});

describe('in production', () => {
  // Production refuses the development JWT secret, so this app verifies tokens with its own.
  const secret = 'a-production-secret-for-this-test-only-0123456789';
  const post = (app: TestApp['app'], url: string) =>
    app.inject({
      method: 'POST',
      url: '/api/webhooks',
      headers: bearer(signToken({ sub: 'xia', role: 'VIEWER' }, { secret })),
      payload: { url, eventType: 'completed' },
    });

  it('refuses http unless WEBHOOK_ALLOW_HTTP says otherwise, and accepts https', async () => {
    const production = await startApp({ NODE_ENV: 'production', JWT_SECRET: secret });
    try {
      const http = await post(production.app, 'http://93.184.216.34/hook');
      expect(http.statusCode).toBe(400);
      expect(http.json()).toStrictEqual({
        success: false,
        error: 'Invalid request body',
        details: [{ path: 'url', message: 'only https URLs' }],
      });
      const https = await post(production.app, PUBLIC_URL);
      expect(https.statusCode).toBe(201);
    } finally {
      await production.close();
    }
    const allowing = await startApp({
      NODE_ENV: 'production',
      JWT_SECRET: secret,
      WEBHOOK_ALLOW_HTTP: 'true',
    });
    try {
      expect((await post(allowing.app, 'http://93.184.216.34/hook')).statusCode).toBe(201);
    } finally {
      await allowing.close();
    }
  });
});
