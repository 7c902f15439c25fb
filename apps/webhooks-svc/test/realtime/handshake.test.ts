import { DEFAULT_SESSION_COOKIE, DEVELOPMENT_JWT_SECRET } from '@conveyor/service-kit/auth-config';
import { bearer, testToken } from '@conveyor/service-kit/testing';
import { signToken } from '@conveyor/service-kit/tokens';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  allowedOrigin,
  bearerOf,
  Client,
  cookieOf,
  crossSite,
  newUser,
  refusal,
  startService,
  ticketFor,
  unauthorized,
  type TestService,
} from './helpers.js';

let service: TestService;
let url: string;

beforeAll(async () => {
  // The shortest ticket life the config allows, so the expiry test waits seconds, not half a minute.
  service = await startService({ REALTIME_TICKET_SECONDS: '5' });
  url = `${service.wsBase}/api/realtime`;
});

afterAll(async () => {
  await service?.close();
});

const tokenExpiringIn = (seconds: number, sub = newUser()) =>
  signToken({ sub, role: 'VIEWER' }, { secret: DEVELOPMENT_JWT_SECRET, expiresInSeconds: seconds });

describe('the handshake of GET /api/realtime', () => {
  test('without a token is refused with 401 in the envelope before the upgrade', async () => {
    expect(await refusal(url)).toEqual({ status: 401, body: unauthorized });
  });

  test('with a bad or an expired token is refused with 401', async () => {
    expect(await refusal(url, { headers: bearer('not-a-jwt') })).toEqual({
      status: 401,
      body: unauthorized,
    });
    const forged = signToken(
      { sub: newUser(), role: 'VIEWER' },
      { secret: 'another-secret-of-at-least-32-characters!' },
    );
    expect((await refusal(url, { headers: bearer(forged) })).status).toBe(401);
    expect((await refusal(url, { headers: bearer(tokenExpiringIn(-60)) })).status).toBe(401);
    expect(
      (
        await refusal(url, {
          headers: { cookie: `${DEFAULT_SESSION_COOKIE}=${tokenExpiringIn(-60)}` },
        })
      ).status,
    ).toBe(401);
  });

  test('never takes a token from the URL', async () => {
    const token = testToken(newUser(), 'VIEWER');
    for (const name of ['token', 'access_token', 'ticket']) {
      expect((await refusal(`${url}?${name}=${token}`)).status).toBe(401);
    }
  });

  test('from an origin outside CORS_ORIGINS is refused with 403, whatever the credentials', async () => {
    const sub = newUser();
    const evil = { origin: 'https://evil.example' };
    expect(await refusal(url, { headers: { ...cookieOf(sub).headers, ...evil } })).toEqual({
      status: 403,
      body: crossSite,
    });
    expect((await refusal(url, { headers: { ...bearerOf(sub).headers, ...evil } })).status).toBe(
      403,
    );
    const { ticket } = await ticketFor(service.httpBase, testToken(sub, 'VIEWER'));
    expect((await refusal(`${url}?ticket=${ticket}`, { headers: evil })).status).toBe(403);
    // The refused page spent nothing: the ticket still opens a socket from the app's origin.
    const client = await Client.open(`${url}?ticket=${ticket}`, { origin: allowedOrigin });
    client.close();
  });

  test('with a bearer token opens and says ready, with the token’s expiry', async () => {
    const token = testToken(newUser(), 'VIEWER');
    const client = await Client.open(url, { headers: bearer(token) });
    const exp = (
      JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
        exp: number;
      }
    ).exp;
    expect(client.messages[0]).toEqual({
      type: 'ready',
      expiresAt: new Date(exp * 1000).toISOString(),
    });
    client.close();
  });

  test('with the session cookie from an allowed origin, or same-origin, opens', async () => {
    const sub = newUser();
    const fromApp = await Client.open(url, { ...cookieOf(sub), origin: allowedOrigin });
    const sameOrigin = await Client.open(url, {
      headers: { ...cookieOf(sub).headers, 'sec-fetch-site': 'same-origin' },
      origin: service.httpBase,
    });
    fromApp.close();
    sameOrigin.close();
  });
});

describe('tickets', () => {
  test('POST /api/realtime/ticket answers a 43-character ticket and its expiry', async () => {
    const before = Date.now();
    const response = await fetch(`${service.httpBase}/api/realtime/ticket`, {
      method: 'POST',
      headers: bearer(testToken(newUser(), 'VIEWER')),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      success: true;
      data: { ticket: string; expiresAt: string };
    };
    expect(body.success).toBe(true);
    expect(body.data.ticket).toMatch(/^[\w-]{43}$/);
    const expiresAt = Date.parse(body.data.expiresAt);
    expect(expiresAt).toBeGreaterThan(before);
    expect(expiresAt).toBeLessThanOrEqual(before + 6_000);
  });

  test('needs a token, and a cookie-authenticated one only from an allowed origin', async () => {
    const ticketUrl = `${service.httpBase}/api/realtime/ticket`;
    expect((await fetch(ticketUrl, { method: 'POST' })).status).toBe(401);
    const cookie = cookieOf(newUser()).headers;
    const crossSiteResponse = await fetch(ticketUrl, {
      method: 'POST',
      headers: { ...cookie, origin: 'https://evil.example' },
    });
    expect(crossSiteResponse.status).toBe(403);
    const fromApp = await fetch(ticketUrl, {
      method: 'POST',
      headers: { ...cookie, origin: allowedOrigin },
    });
    expect(fromApp.status).toBe(200);
  });

  test('a ticket opens one socket as its user, and a reused ticket is refused with 401', async () => {
    const { ticket } = await ticketFor(service.httpBase, testToken(newUser(), 'VIEWER'));
    const client = await Client.open(`${url}?ticket=${ticket}`);
    expect(client.messages[0]).toMatchObject({ type: 'ready' });
    expect(await refusal(`${url}?ticket=${ticket}`)).toEqual({ status: 401, body: unauthorized });
    client.close();
  });

  test('two handshakes racing with one ticket: exactly one opens', async () => {
    const { ticket } = await ticketFor(service.httpBase, testToken(newUser(), 'VIEWER'));
    const attempts = await Promise.allSettled([
      Client.open(`${url}?ticket=${ticket}`),
      Client.open(`${url}?ticket=${ticket}`),
    ]);
    const opened = attempts.filter((attempt) => attempt.status === 'fulfilled');
    expect(opened).toHaveLength(1);
    for (const attempt of opened) attempt.value.close();
  });

  test('a made-up ticket, or two tickets in one URL, are refused with 401', async () => {
    expect((await refusal(`${url}?ticket=${'a'.repeat(43)}`)).status).toBe(401);
    expect((await refusal(`${url}?ticket=short`)).status).toBe(401);
    const token = testToken(newUser(), 'VIEWER');
    const [first, second] = await Promise.all([
      ticketFor(service.httpBase, token),
      ticketFor(service.httpBase, token),
    ]);
    expect((await refusal(`${url}?ticket=${first.ticket}&ticket=${second.ticket}`)).status).toBe(
      401,
    );
  });

  test('a ticket is refused with 401 once REALTIME_TICKET_SECONDS have passed', async () => {
    const { ticket, expiresAt } = await ticketFor(service.httpBase, testToken(newUser(), 'VIEWER'));
    await new Promise((resolve) => setTimeout(resolve, Date.parse(expiresAt) - Date.now() + 500));
    expect(await refusal(`${url}?ticket=${ticket}`)).toEqual({ status: 401, body: unauthorized });
  });

  test('a ticket never outlives its token, and its socket closes when the token expires', async () => {
    const token = tokenExpiringIn(3);
    const { expiresAt } = await ticketFor(service.httpBase, token);
    const exp = (
      JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
        exp: number;
      }
    ).exp;
    expect(Date.parse(expiresAt)).toBeLessThanOrEqual(exp * 1000);
    const { ticket } = await ticketFor(service.httpBase, token);
    const client = await Client.open(`${url}?ticket=${ticket}`);
    expect(await client.closed).toEqual({ code: 4001, reason: 'Token expired' });
  });
});
