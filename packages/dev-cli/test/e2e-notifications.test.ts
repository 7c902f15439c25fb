import { randomUUID } from 'node:crypto';
import { deleteKeysWithPrefix } from '@conveyor/test-harness/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devToken } from './helpers/entry-points.js';
import {
  gatewayClient,
  rateLimitHeaders,
  type GatewayCall,
  type GatewayResponse,
} from './helpers/gateway.js';
import { caughtMessages, waitForMail } from './helpers/mail.js';
import { redisUrl, startSystem, stillListening, type RunningSystem } from './helpers/system.js';

// Spec 001's notifications end to end, through the gateway of the real system that `pnpm dev`
// starts (test/helpers/system.ts): an ADMIN creates one for the seeded demo-creator, the
// delivery worker emails it to the mail catcher, and the creator lists, counts and reads it,
// within spec 000's rate limits.

/** Spec 001 `Notification`: every field the inbox shows, and no other. */
interface ApiNotification {
  id: string;
  type: string;
  title: string;
  message: string;
  actionUrl: string | null;
  priority: string;
  read: boolean;
  readAt: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
}

interface ListBody {
  success: true;
  data: ApiNotification[];
  pagination: { page: number; pageSize: number; total: number; totalPages: number };
}

type DataBody<Data> = { success: true; data: Data };

const notificationFields = [
  'id',
  'type',
  'title',
  'message',
  'actionUrl',
  'priority',
  'read',
  'readAt',
  'metadata',
  'createdAt',
];

const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const tooManyRequests = { success: false, error: 'Too many requests. Please try again later.' };

/** Where the gateway keeps its rate-limit counters (api-gateway's DEFAULT_RATE_LIMIT_PREFIX). */
const rateLimitKeyPrefix = 'conveyor:rate-limit:';

/**
 * Users of this run only, provisioned by their first request: their budgets are their own, so
 * the exact counts hold however often the test runs, and beside a developer's own `pnpm dev`,
 * whose demo users share the gateway's counters in Redis.
 */
const run = randomUUID().replaceAll('-', '').slice(0, 12);
const freshUser = (name: string) => `e2e-${run}-${name}`;

/** Asserts the spec 000 headers of one response, taken between `before` and `after` (ms). */
function expectRateLimitHeaders(
  response: GatewayResponse,
  expected: { limit: number; remaining?: number },
  before: number,
  after: number,
): void {
  const headers = rateLimitHeaders(response.headers);
  expect(headers.limit).toBe(expected.limit);
  if (expected.remaining === undefined) {
    expect(headers.remaining).toBeGreaterThanOrEqual(0);
    expect(headers.remaining).toBeLessThan(expected.limit);
  } else {
    expect(headers.remaining).toBe(expected.remaining);
  }
  // A Unix timestamp in seconds (not milliseconds, not seconds from now), within the next minute.
  expect(headers.reset).toBeGreaterThanOrEqual(Math.floor(before / 1000));
  expect(headers.reset).toBeLessThanOrEqual(Math.ceil(after / 1000) + 60);
}

describe('notifications end to end through the gateway of the real system', () => {
  let system: RunningSystem;
  let call: GatewayCall;
  let mailUrl: string;
  /** Demo users seeded by `pnpm dev`, and this run's own users for the budgets. */
  const token = {
    admin: '',
    creator: '',
    viewer: '',
    spender: '',
    bystander: '',
    idReader: '',
    prober: '',
  };

  const content = {
    type: 'PAYOUT',
    title: `Your payout ${run} is on its way`,
    message: 'We sent 120.00 EUR to your bank account.\n\nIt arrives within two working days.',
    priority: 'HIGH',
    actionUrl: `https://app.conveyor.test/payouts/${run}`,
  };
  let notificationId: string;

  beforeAll(async () => {
    // The tokens come from the real token command while the system starts.
    const [started, signed] = await Promise.allSettled([
      startSystem(),
      Promise.all([
        devToken('demo-admin', 'ADMIN'),
        devToken('demo-creator', 'CREATOR'),
        devToken('demo-viewer', 'VIEWER'),
        devToken(freshUser('spender'), 'CREATOR'),
        devToken(freshUser('bystander'), 'CREATOR'),
        devToken(freshUser('id-reader'), 'BRAND'),
        devToken(freshUser('prober'), 'VIEWER'),
      ]),
    ]);
    // Kept even when a token failed, so afterAll stops it.
    if (started.status === 'fulfilled') system = started.value;
    if (started.status === 'rejected') throw started.reason;
    if (signed.status === 'rejected') throw signed.reason;
    [
      token.admin,
      token.creator,
      token.viewer,
      token.spender,
      token.bystander,
      token.idReader,
      token.prober,
    ] = signed.value;
    call = gatewayClient(system.gatewayUrl);
    mailUrl = system.mailUrl;
  }, 90_000);

  afterAll(async () => {
    await system?.dispose();
    // The counters of this run's users; `*` spans the endpoint in `<prefix><endpoint>|<user>`.
    await deleteKeysWithPrefix(redisUrl, `${rateLimitKeyPrefix}*|${freshUser('')}`);
  }, 30_000);

  describe('an ADMIN creates, the email goes out, the user reads', () => {
    it('creates a notification for demo-creator when an ADMIN posts it: 201 with its id', async () => {
      const response = await call<DataBody<{ count: number; ids: string[] }>>(
        'POST',
        '/api/notifications',
        { token: token.admin, json: { userId: 'demo-creator', ...content } },
      );
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      expect(response.body).toEqual({
        success: true,
        data: { count: 1, ids: [expect.stringMatching(/^[0-9a-f-]{36}$/)] },
      });
      notificationId = response.body.data.ids[0]!;
    });

    it('emails it to creator@conveyor.test with its title, message, action link and Message-ID', async () => {
      const messageId = `<notification-${notificationId}@`;
      const email = await waitForMail(mailUrl, (m) => m.messageId?.startsWith(messageId) ?? false, {
        what: `the email of notification ${notificationId}`,
      });
      expect(email.to).toEqual(['creator@conveyor.test']);
      expect(email.envelope.to).toEqual(['creator@conveyor.test']);
      expect(email.messageId).toMatch(new RegExp(`^<notification-${notificationId}@[^<>@\\s]+>$`));
      expect(email.subject).toContain(content.title);
      expect(email.text).toContain(content.message);
      expect(email.text).toContain(content.actionUrl);
      expect(email.html).toContain(`href="${content.actionUrl}"`);
    });

    it('lists it for demo-creator, unread, with exactly the fields of spec 001', async () => {
      const response = await call<ListBody>('GET', '/api/notifications', { token: token.creator });
      expect(response.status).toBe(200);
      expect(response.body.pagination).toEqual({ page: 1, pageSize: 20, total: 1, totalPages: 1 });
      const [listed] = response.body.data;
      expect(Object.keys(listed!).sort()).toEqual([...notificationFields].sort());
      expect(listed).toEqual({
        id: notificationId,
        ...content,
        read: false,
        readAt: null,
        metadata: null,
        createdAt: expect.stringMatching(isoTimestamp),
      });
    });

    it('counts it as demo-creator’s one unread notification', async () => {
      const response = await call('GET', '/api/notifications/unread-count', {
        token: token.creator,
      });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ success: true, data: { count: 1 } });
    });

    it('hides it from a VIEWER: never listed, and 404 on reading or deleting it', async () => {
      const list = await call<ListBody>('GET', '/api/notifications', { token: token.viewer });
      expect(list.status).toBe(200);
      expect(list.body.data.map((n) => n.id)).not.toContain(notificationId);

      const notFound = { success: false, error: 'Notification not found' };
      const read = await call('POST', `/api/notifications/${notificationId}/read`, {
        token: token.viewer,
      });
      expect(read.status).toBe(404);
      expect(read.body).toEqual(notFound);
      const removed = await call('DELETE', `/api/notifications/${notificationId}`, {
        token: token.viewer,
      });
      expect(removed.status).toBe(404);
      expect(removed.body).toEqual(notFound);

      // Nothing changed for its owner.
      const count = await call('GET', '/api/notifications/unread-count', { token: token.creator });
      expect(count.body).toEqual({ success: true, data: { count: 1 } });
    });

    it('refuses a CREATOR who creates a notification with 403, creating nothing', async () => {
      const response = await call('POST', '/api/notifications', {
        token: token.creator,
        json: { userId: 'demo-creator', ...content, title: 'Not from an admin' },
      });
      expect(response.status).toBe(403);
      expect(response.body).toEqual({ success: false, error: 'Forbidden: Admin access required' });

      const list = await call<ListBody>('GET', '/api/notifications', { token: token.creator });
      expect(list.body.data.map((n) => n.id)).toEqual([notificationId]);
    });

    it('marks it read for demo-creator, and the unread count drops to 0', async () => {
      const before = Date.now();
      const read = await call<DataBody<{ id: string; read: boolean; readAt: string }>>(
        'POST',
        `/api/notifications/${notificationId}/read`,
        { token: token.creator },
      );
      expect(read.status).toBe(200);
      expect(read.body).toEqual({
        success: true,
        data: { id: notificationId, read: true, readAt: expect.stringMatching(isoTimestamp) },
      });
      // Read just now, by the service's clock.
      expect(Math.abs(Date.parse(read.body.data.readAt) - before)).toBeLessThan(5_000);

      const count = await call('GET', '/api/notifications/unread-count', { token: token.creator });
      expect(count.body).toEqual({ success: true, data: { count: 0 } });
      const list = await call<ListBody>('GET', '/api/notifications', { token: token.creator });
      expect(list.body.data).toEqual([
        expect.objectContaining({ id: notificationId, read: true, readAt: read.body.data.readAt }),
      ]);
    });

    it('sent that one email once, and no other', async () => {
      const messages = await caughtMessages(mailUrl);
      expect(messages.map((m) => m.messageId)).toEqual([
        expect.stringMatching(new RegExp(`^<notification-${notificationId}@`)),
      ]);
    });

    it('sends the rate-limit headers on the responses demo-creator got', async () => {
      const before = Date.now();
      const response = await call('GET', '/api/notifications', { token: token.creator });
      expect(response.status).toBe(200);
      // demo-creator's budget is shared with any `pnpm dev` of the developer: not an exact count.
      expectRateLimitHeaders(response, { limit: 100 }, before, Date.now());
    });
  });

  describe('the spec 000 rate limits, through the gateway', () => {
    // One row per endpoint of spec 000's table on these routes; a fresh user's first request.
    it.each([
      ['GET', '/api/notifications', 100, 200],
      ['GET', '/api/notifications/unread-count', 200, 200],
      ['POST', '/api/notifications/:id/read', 100, 404],
      ['POST', '/api/notifications/read-all', 10, 200],
      ['GET', '/api/notifications/preferences', 50, 200],
      ['PATCH', '/api/notifications/preferences', 10, 200],
    ] as const)(
      'gives %s %s a budget of %i a minute per user, shown on a normal response',
      async (method, pattern, limit, status) => {
        const before = Date.now();
        const response = await call(method, pattern.replace(':id', randomUUID()), {
          token: token.prober,
          ...(method === 'PATCH' ? { json: { emailEnabled: true } } : {}),
        });
        expect(response.status, JSON.stringify(response.body)).toBe(status);
        expectRateLimitHeaders(response, { limit, remaining: limit - 1 }, before, Date.now());
      },
    );

    it('allows 10 POST /api/notifications/read-all a minute, and answers the 11th with 429', async () => {
      for (let attempt = 1; attempt <= 10; attempt++) {
        const before = Date.now();
        const response = await call('POST', '/api/notifications/read-all', {
          token: token.spender,
        });
        expect(response.status, `request ${attempt}`).toBe(200);
        expect(response.body).toEqual({ success: true, data: { count: 0 } });
        expectRateLimitHeaders(
          response,
          { limit: 10, remaining: 10 - attempt },
          before,
          Date.now(),
        );
      }

      const before = Date.now();
      const refused = await call('POST', '/api/notifications/read-all', { token: token.spender });
      const after = Date.now();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toContain('application/json');
      expect(refused.body).toEqual(tooManyRequests);
      expectRateLimitHeaders(refused, { limit: 10, remaining: 0 }, before, after);
      const { reset, retryAfter } = rateLimitHeaders(refused.headers);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // Retry-After and X-RateLimit-Reset name the same moment.
      expect(Math.abs(reset! - (after / 1000 + retryAfter!))).toBeLessThanOrEqual(2);
    });

    it('keeps another user’s read-all budget, and the refused user’s other endpoints, whole', async () => {
      const other = await call('POST', '/api/notifications/read-all', { token: token.bystander });
      expect(other.status).toBe(200);
      expect(rateLimitHeaders(other.headers)).toMatchObject({ limit: 10, remaining: 9 });

      const sameUser = await call('GET', '/api/notifications/unread-count', {
        token: token.spender,
      });
      expect(sameUser.status).toBe(200);
      expect(rateLimitHeaders(sameUser.headers)).toMatchObject({ limit: 200, remaining: 199 });

      const stillRefused = await call('POST', '/api/notifications/read-all', {
        token: token.spender,
      });
      expect(stillRefused.status).toBe(429);
      expect(stillRefused.body).toEqual(tooManyRequests);
    });

    it('counts POST /api/notifications/:id/read on any id against one budget of 100', async () => {
      // Other ids do not open other budgets: 100 reads of 100 ids (not found), then a 429.
      const statuses: number[] = [];
      for (let batch = 0; batch < 10; batch++) {
        const responses = await Promise.all(
          Array.from({ length: 10 }, () =>
            call('POST', `/api/notifications/${randomUUID()}/read`, { token: token.idReader }),
          ),
        );
        statuses.push(...responses.map((response) => response.status));
      }
      expect(statuses).toEqual(Array.from({ length: 100 }, () => 404));

      const refused = await call('POST', `/api/notifications/${randomUUID()}/read`, {
        token: token.idReader,
      });
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual(tooManyRequests);
      expect(rateLimitHeaders(refused.headers)).toMatchObject({ limit: 100, remaining: 0 });
    });
  });

  it('stops every app and itself cleanly on SIGINT, as Ctrl-C does', async () => {
    expect(await system.stop('SIGINT')).toBe(0);
    const output = system.output();
    expect(output).toContain(`received SIGINT; stopping ${system.apps.length} app(s)`);
    expect(output).toMatch(/\| stopped\n/);
    expect(output).not.toContain('stopped, not cleanly');
    expect(output).not.toContain('did not stop within');
    expect(await stillListening(system)).toEqual([]);
  }, 30_000);
});
