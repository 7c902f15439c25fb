import { users } from '@conveyor/db/schema';
import { createSigner } from 'fast-jwt';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEVELOPMENT_JWT_SECRET } from '../src/auth-config.js';
import { bearer, createTestDeps, testToken, type TestDeps } from '../src/testing.js';
import { buildFixtureApp, loadFixtureConfig, type FixtureConfig } from './fixture.js';

let deps: TestDeps<FixtureConfig>;
let app: Awaited<ReturnType<typeof buildFixtureApp>>;

beforeAll(async () => {
  deps = await createTestDeps(loadFixtureConfig);
  app = await buildFixtureApp(deps);
});
afterAll(async () => {
  await app.close();
  await deps.cleanup();
});

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

const badTokens: Record<string, () => string> = {
  'a malformed token': () => 'not-a-jwt',
  'an alg none token': () =>
    `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'u1', role: 'ADMIN', exp: inAnHour() })}.`,
  'a token signed with another secret': () =>
    createSigner({ key: 'another-secret-that-is-long-enough-123456', expiresIn: 60_000 })({
      sub: 'u1',
      role: 'ADMIN',
    }),
  'an expired token': () =>
    createSigner({ key: DEVELOPMENT_JWT_SECRET })({
      sub: 'u1',
      role: 'ADMIN',
      exp: Math.floor(Date.now() / 1000) - 10,
    }),
  'a token without exp': () =>
    createSigner({ key: DEVELOPMENT_JWT_SECRET })({ sub: 'u1', role: 'ADMIN' }),
  'a token without sub': () =>
    createSigner({ key: DEVELOPMENT_JWT_SECRET, expiresIn: 60_000 })({ role: 'ADMIN' }),
  'a token with an unknown role': () =>
    createSigner({ key: DEVELOPMENT_JWT_SECRET, expiresIn: 60_000 })({ sub: 'u1', role: 'ROOT' }),
  'an HS512 token': () =>
    createSigner({ key: DEVELOPMENT_JWT_SECRET, algorithm: 'HS512', expiresIn: 60_000 })({
      sub: 'u1',
      role: 'ADMIN',
    }),
};

describe('token verification', () => {
  it('answers 401 Unauthorized when no token is sent', async () => {
    const response = await app.inject({ url: '/api/me' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ success: false, error: 'Unauthorized' });
  });

  for (const [name, make] of Object.entries(badTokens)) {
    it(`answers 401 Unauthorized for ${name}`, async () => {
      const response = await app.inject({ url: '/api/me', headers: bearer(make()) });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ success: false, error: 'Unauthorized' });
    });
  }

  it('accepts a valid bearer token and exposes its claims', async () => {
    const response = await app.inject({
      url: '/api/me',
      headers: bearer(testToken('u-claims', 'CREATOR')),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({ sub: 'u-claims', role: 'CREATOR' });
  });

  it('accepts the session cookie when no Authorization header is sent', async () => {
    const response = await app.inject({
      url: '/api/me',
      cookies: { conveyor_session: testToken('u-cookie', 'VIEWER') },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().data.sub).toBe('u-cookie');
  });

  it('refuses a token it has already accepted once the token has expired', async () => {
    const token = createSigner({ key: DEVELOPMENT_JWT_SECRET, expiresIn: 60_000 })({
      sub: 'u-expiring',
      role: 'VIEWER',
    });
    const first = await app.inject({ url: '/api/me', headers: bearer(token) });
    expect(first.statusCode).toBe(200);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 61_000);
      const later = await app.inject({ url: '/api/me', headers: bearer(token) });
      expect(later.statusCode).toBe(401);
      expect(later.json()).toEqual({ success: false, error: 'Unauthorized' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a bearer token with a tampered payload even after the genuine token was accepted', async () => {
    const token = testToken('u-genuine', 'VIEWER');
    expect((await app.inject({ url: '/api/me', headers: bearer(token) })).statusCode).toBe(200);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${base64url({ sub: 'u-genuine', role: 'ADMIN', exp: inAnHour() })}.${signature}`;
    const response = await app.inject({ url: '/api/me', headers: bearer(forged) });
    expect(response.statusCode).toBe(401);
  });
});

describe('roles', () => {
  it('refuses a non-admin on an admin route with 403', async () => {
    for (const role of ['CREATOR', 'BRAND', 'VIEWER'] as const) {
      const response = await app.inject({
        url: '/api/admin/thing',
        headers: bearer(testToken(`u-${role}`, role)),
      });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({
        success: false,
        error: 'Forbidden: Admin access required',
      });
    }
  });

  it('lets an admin through', async () => {
    const response = await app.inject({
      url: '/api/admin/thing',
      headers: bearer(testToken('u-admin', 'ADMIN')),
    });
    expect(response.statusCode).toBe(200);
  });
});

describe('CSRF defence for cookie sessions', () => {
  const cookies = () => ({ conveyor_session: testToken('u-csrf', 'VIEWER') });

  it('refuses a cookie-authenticated POST from a cross-site origin', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/me',
      cookies: cookies(),
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error).toBe('Forbidden: cross-site request refused');
  });

  it('allows a same-origin cookie POST and one from an allowed origin', async () => {
    const sameOrigin = await app.inject({
      method: 'POST',
      url: '/api/me',
      cookies: cookies(),
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    const allowed = await app.inject({
      method: 'POST',
      url: '/api/me',
      cookies: cookies(),
      headers: { origin: 'https://app.example.com', 'sec-fetch-site': 'same-site' },
    });
    expect(sameOrigin.statusCode).toBe(200);
    expect(allowed.statusCode).toBe(200);
  });

  it('does not apply to a bearer-authenticated POST', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/me',
      headers: { ...bearer(testToken('u-csrf', 'VIEWER')), origin: 'https://evil.example' },
    });
    expect(response.statusCode).toBe(200);
  });
});

describe('just-in-time provisioning', () => {
  it('creates the user from the first verified request and refreshes role, email and name later', async () => {
    await app.inject({
      url: '/api/me',
      headers: bearer(testToken('u-jit', 'VIEWER', { email: 'a@example.com' })),
    });
    const [created] = await deps.db.db.select().from(users).where(eq(users.id, 'u-jit'));
    expect(created).toMatchObject({
      id: 'u-jit',
      role: 'VIEWER',
      email: 'a@example.com',
      name: null,
    });

    await app.inject({
      url: '/api/me',
      headers: bearer(testToken('u-jit', 'CREATOR', { email: 'b@example.com', name: 'Bea' })),
    });
    const [refreshed] = await deps.db.db.select().from(users).where(eq(users.id, 'u-jit'));
    expect(refreshed).toMatchObject({ role: 'CREATOR', email: 'b@example.com', name: 'Bea' });
  });
});
