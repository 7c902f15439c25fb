import { notificationPreferences } from '@conveyor/db/schema';
import { bearer, testToken } from '@conveyor/service-kit/testing';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startApp, type TestApp } from '../../helpers/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t.close();
});

const url = '/api/notifications/preferences';
const allTypes = [
  'LICENSE',
  'PAYOUT',
  'ROYALTY',
  'PROJECT',
  'SYSTEM',
  'MESSAGE',
  'POST_ASSIGNED',
  'POST_STATUS_CHANGED',
  'BLOG',
];
const defaultsOf = (userId: string) => ({
  userId,
  enabledTypes: allTypes,
  digestFrequency: 'IMMEDIATE',
  emailEnabled: true,
  inAppEnabled: true,
  timezone: 'UTC',
});
const rowsOf = async (userId: string) =>
  (
    await t.deps.db.db
      .select({ n: count() })
      .from(notificationPreferences)
      .where(eq(notificationPreferences.userId, userId))
  )[0]!.n;

describe('GET /api/notifications/preferences', () => {
  it('creates the row on first read with the spec 001 defaults', async () => {
    expect(await rowsOf('first-reader')).toBe(0);
    const response = await as(t.app, 'first-reader').get(url);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({ success: true, data: defaultsOf('first-reader') });
    expect(await rowsOf('first-reader')).toBe(1);
    const again = await as(t.app, 'first-reader').get(url);
    expect(again.json()).toStrictEqual(response.json());
  });

  it('creates exactly one row when five first reads arrive at once', async () => {
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => as(t.app, 'stampede', 'CREATOR').get(url)),
    );
    for (const response of responses) {
      expect(response.statusCode).toBe(200);
      expect(response.json()).toStrictEqual({ success: true, data: defaultsOf('stampede') });
    }
    expect(await rowsOf('stampede')).toBe(1);
  });

  it('answers lastDigestSentAt as ISO 8601 once a digest was sent, and omits it before', async () => {
    const user = as(t.app, 'digested');
    expect((await user.get(url)).json().data).not.toHaveProperty('lastDigestSentAt');
    await t.deps.db.db
      .update(notificationPreferences)
      .set({ lastDigestSentAt: new Date('2025-10-13T09:00:00Z') })
      .where(eq(notificationPreferences.userId, 'digested'));
    expect((await user.get(url)).json()).toStrictEqual({
      success: true,
      data: { ...defaultsOf('digested'), lastDigestSentAt: '2025-10-13T09:00:00.000Z' },
    });
  });

  it('answers 401 without a token', async () => {
    for (const method of ['GET', 'PATCH'] as const) {
      const response = await t.app.inject({
        method,
        url,
        payload: method === 'PATCH' ? {} : undefined,
      });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toStrictEqual({ success: false, error: 'Unauthorized' });
    }
  });
});

describe('PATCH /api/notifications/preferences', () => {
  it('changes only the fields sent and answers the updated preferences', async () => {
    const user = as(t.app, 'partial');
    const digest = await user.patch(url, { digestFrequency: 'DAILY' });
    expect(digest.statusCode).toBe(200);
    expect(digest.json()).toStrictEqual({
      success: true,
      data: { ...defaultsOf('partial'), digestFrequency: 'DAILY' },
    });
    const email = await user.patch(url, { emailEnabled: false });
    expect(email.json().data).toStrictEqual({
      ...defaultsOf('partial'),
      digestFrequency: 'DAILY',
      emailEnabled: false,
    });
    const types = await user.patch(url, { enabledTypes: ['PAYOUT', 'LICENSE'] });
    expect(types.json().data).toStrictEqual({
      ...defaultsOf('partial'),
      digestFrequency: 'DAILY',
      emailEnabled: false,
      enabledTypes: ['LICENSE', 'PAYOUT'],
    });
    expect((await user.get(url)).json()).toStrictEqual(types.json());
  });

  it('changes several fields at once, before any read', async () => {
    const response = await as(t.app, 'all-at-once', 'BRAND').patch(url, {
      enabledTypes: [],
      digestFrequency: 'NEVER',
      emailEnabled: false,
      inAppEnabled: true,
    });
    expect(response.json()).toStrictEqual({
      success: true,
      data: {
        userId: 'all-at-once',
        enabledTypes: [],
        digestFrequency: 'NEVER',
        emailEnabled: false,
        inAppEnabled: true,
        timezone: 'UTC',
      },
    });
    expect(await rowsOf('all-at-once')).toBe(1);
  });

  it('drops duplicate types', async () => {
    const response = await as(t.app, 'dupes').patch(url, {
      enabledTypes: ['BLOG', 'SYSTEM', 'BLOG', 'SYSTEM', 'BLOG'],
    });
    expect(response.json().data.enabledTypes).toEqual(['SYSTEM', 'BLOG']);
  });

  it('answers the current preferences for an empty body or inAppEnabled true alone', async () => {
    const user = as(t.app, 'no-op');
    await user.patch(url, { digestFrequency: 'WEEKLY' });
    const expected = { success: true, data: { ...defaultsOf('no-op'), digestFrequency: 'WEEKLY' } };
    expect((await user.patch(url, {})).json()).toStrictEqual(expected);
    expect((await user.patch(url, { inAppEnabled: true })).json()).toStrictEqual(expected);
    const fresh = await as(t.app, 'no-op-fresh').patch(url, {});
    expect(fresh.json()).toStrictEqual({ success: true, data: defaultsOf('no-op-fresh') });
  });

  it('refuses inAppEnabled false with a detail that says why', async () => {
    const response = await as(t.app, 'in-app').patch(url, { inAppEnabled: false });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toStrictEqual({
      success: false,
      error: 'Invalid request body',
      details: [{ path: 'inAppEnabled', message: 'In-app notifications cannot be turned off' }],
    });
  });

  it.each([
    ['an unknown type', { enabledTypes: ['SYSTEM', 'NOPE'] }, 'enabledTypes.1'],
    ['a lowercase type', { enabledTypes: ['system'] }, 'enabledTypes.0'],
    ['enabledTypes that is not an array', { enabledTypes: 'SYSTEM' }, 'enabledTypes'],
    ['an unknown frequency', { digestFrequency: 'HOURLY' }, 'digestFrequency'],
    ['emailEnabled as text', { emailEnabled: 'false' }, 'emailEnabled'],
    ['inAppEnabled as text', { inAppEnabled: 'true' }, 'inAppEnabled'],
    ['an unknown field', { digestFrequency: 'DAILY', pushEnabled: true }, ''],
    ['a userId of someone else', { userId: 'victim' }, ''],
    ['a lastDigestSentAt', { lastDigestSentAt: '2025-01-01T00:00:00Z' }, ''],
    ['null', null, ''],
    ['an array', [], ''],
  ])('answers 400 Invalid request body for %s, and changes nothing', async (_label, body, path) => {
    const user = as(t.app, 'strict');
    const before = (await user.get(url)).json();
    const response = await user.patch(url, body);
    expect(response.statusCode).toBe(400);
    const answer = response.json();
    expect(answer).toMatchObject({ success: false, error: 'Invalid request body' });
    expect(answer.details).toContainEqual({ path, message: expect.any(String) });
    expect((await user.get(url)).json()).toStrictEqual(before);
  });

  it('answers 400 Invalid request body for a PATCH without any body, as for an empty JSON body', async () => {
    const headers = bearer(testToken('bodiless', 'VIEWER'));
    for (const request of [
      { headers },
      { headers: { ...headers, 'content-type': 'application/json' } },
    ]) {
      const response = await t.app.inject({ method: 'PATCH', url, ...request });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ success: false, error: 'Invalid request body' });
    }
  });

  it('leaves other users’ preferences alone', async () => {
    await as(t.app, 'neighbour').get(url);
    await as(t.app, 'changer').patch(url, { digestFrequency: 'NEVER', emailEnabled: false });
    expect((await as(t.app, 'neighbour').get(url)).json().data).toStrictEqual(
      defaultsOf('neighbour'),
    );
  });
});

describe('the timezone preference (beyond spec 001)', () => {
  it('is UTC on first read, in the answer and in the row', async () => {
    expect((await as(t.app, 'tz-first').get(url)).json().data.timezone).toBe('UTC');
    const [row] = await t.deps.db.db
      .select({ timezone: notificationPreferences.timezone })
      .from(notificationPreferences)
      .where(eq(notificationPreferences.userId, 'tz-first'));
    expect(row).toStrictEqual({ timezone: 'UTC' });
  });

  it('stores a zone and answers it, then and on the next read', async () => {
    const user = as(t.app, 'tz-tokyo');
    const response = await user.patch(url, { timezone: 'Asia/Tokyo' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({
      success: true,
      data: { ...defaultsOf('tz-tokyo'), timezone: 'Asia/Tokyo' },
    });
    expect((await user.get(url)).json()).toStrictEqual(response.json());
  });

  it.each([
    ['asia/tokyo', 'Asia/Tokyo'],
    ['EUROPE/PARIS', 'Europe/Paris'],
    // A link keeps its own name: PostgreSQL knows it, and the user recognises it.
    ['Asia/Kolkata', 'Asia/Kolkata'],
    ['utc', 'UTC'],
  ])('stores %s as %s', async (sent, stored) => {
    const user = as(t.app, `tz-alias-${sent}`);
    expect((await user.patch(url, { timezone: sent })).json().data.timezone).toBe(stored);
    expect((await user.get(url)).json().data.timezone).toBe(stored);
  });

  it.each([
    ['an unknown zone', 'Mars/Olympus_Mons'],
    ['an offset', '+09:00'],
    ['an empty string', ''],
    ['a number', 9],
    ['null', null],
  ])('answers 400 Invalid request body for %s, and changes nothing', async (_label, timezone) => {
    const user = as(t.app, 'tz-strict');
    await user.patch(url, { timezone: 'Europe/Berlin' });
    const before = (await user.get(url)).json();
    const response = await user.patch(url, { digestFrequency: 'DAILY', timezone });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toStrictEqual({
      success: false,
      error: 'Invalid request body',
      details: [
        {
          path: 'timezone',
          message:
            typeof timezone === 'string'
              ? 'must be an IANA time zone, e.g. Europe/Paris'
              : expect.stringContaining('expected string'),
        },
      ],
    });
    expect((await user.get(url)).json()).toStrictEqual(before);
  });

  it('keeps the zone when other fields change, and them when it changes', async () => {
    const user = as(t.app, 'tz-partial');
    await user.patch(url, { timezone: 'America/Sao_Paulo' });
    const others = await user.patch(url, {
      digestFrequency: 'WEEKLY',
      emailEnabled: false,
      enabledTypes: ['BLOG'],
    });
    const changed = {
      ...defaultsOf('tz-partial'),
      digestFrequency: 'WEEKLY',
      emailEnabled: false,
      enabledTypes: ['BLOG'],
    };
    expect(others.json().data).toStrictEqual({ ...changed, timezone: 'America/Sao_Paulo' });
    const zone = await user.patch(url, { timezone: 'Europe/Paris' });
    expect(zone.json().data).toStrictEqual({ ...changed, timezone: 'Europe/Paris' });
    expect((await user.get(url)).json().data).toStrictEqual(zone.json().data);
  });
});
