import { createDb, type DbHandle } from '@conveyor/db/client';
import { digestDeliveries, digestRuns, digestTicks } from '@conveyor/db/schema';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import type { DigestFrequency, NotificationType } from '@conveyor/notifications/model';
import { allNotificationTypes } from '@conveyor/notifications/model';
import { createNotification, createUser } from '@conveyor/notifications/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hoursToPlan, planHour } from '../src/digest-plan.js';

let database: TestDatabase;
let handle: DbHandle;
const db = () => handle.db;

beforeAll(async () => {
  database = await createTestDatabase();
  handle = createDb(database.url, { max: 4 });
});
afterAll(async () => {
  await handle.close();
  await database.drop();
});
beforeEach(async () => {
  // Every test plans hours of its own choosing from an empty plan.
  await db().execute(sql`truncate ${digestTicks}, ${digestRuns}, ${digestDeliveries} cascade`);
  await db().execute(sql`delete from users`);
});

const at = (iso: string) => new Date(iso);
const seconds = (instant: string, delta: number) => new Date(at(instant).getTime() + delta * 1_000);

async function subscriber(
  frequency: DigestFrequency,
  options: { timezone?: string; emailEnabled?: boolean; enabledTypes?: NotificationType[] } = {},
) {
  return createUser(db(), {
    preferences: {
      digestFrequency: frequency,
      emailEnabled: options.emailEnabled ?? true,
      enabledTypes: options.enabledTypes ?? [...allNotificationTypes],
      timezone: options.timezone ?? 'UTC',
    },
  });
}

/** The delivery rows planned, by user, with their windows. */
async function planned() {
  const rows = await db()
    .select({
      userId: digestDeliveries.userId,
      frequency: digestDeliveries.frequency,
      windowStart: digestDeliveries.windowStart,
      windowEnd: digestDeliveries.windowEnd,
      chunk: digestDeliveries.chunk,
    })
    .from(digestDeliveries);
  return new Map(rows.map((row) => [row.userId, row]));
}

describe('hoursToPlan', () => {
  const now = at('2026-03-10T11:20:00Z');

  it('plans only the current hour on a fresh database', () => {
    expect(hoursToPlan(null, now, 192)).toEqual([at('2026-03-10T11:00:00Z')]);
  });

  it('plans every hour after the last planned one, oldest first', () => {
    expect(hoursToPlan(at('2026-03-10T08:00:00Z'), now, 192)).toEqual([
      at('2026-03-10T09:00:00Z'),
      at('2026-03-10T10:00:00Z'),
      at('2026-03-10T11:00:00Z'),
    ]);
  });

  it('plans nothing when the current hour is planned, and no more than the catch-up', () => {
    expect(hoursToPlan(at('2026-03-10T11:00:00Z'), now, 192)).toEqual([]);
    expect(hoursToPlan(at('2026-01-01T00:00:00Z'), now, 2)).toEqual([
      at('2026-03-10T10:00:00Z'),
      at('2026-03-10T11:00:00Z'),
    ]);
  });
});

describe('planHour', () => {
  it('selects a DAILY user with one notification inside each edge of the window, not outside', async () => {
    const inside = await subscriber('DAILY');
    const late = await subscriber('DAILY');
    const early = await subscriber('DAILY');
    const end = '2026-03-10T09:00:00Z';
    const start = '2026-03-09T09:00:00Z';
    await createNotification(db(), { userId: inside.id, createdAt: seconds(end, -1) });
    await createNotification(db(), { userId: inside.id, createdAt: at(start) });
    // At the end is the next window's; one second before the start is the previous one's.
    await createNotification(db(), { userId: late.id, createdAt: at(end) });
    await createNotification(db(), { userId: early.id, createdAt: seconds(start, -1) });

    const runs = await planHour(db(), at(end), 500);

    expect(runs).toEqual([
      {
        runId: expect.any(String),
        frequency: 'DAILY',
        usersSelected: 3,
        digestsPlanned: 1,
        chunks: 1,
      },
    ]);
    const rows = await planned();
    expect([...rows.keys()]).toEqual([inside.id]);
    expect(rows.get(inside.id)).toMatchObject({
      frequency: 'DAILY',
      windowStart: at(start),
      windowEnd: at(end),
    });
  });

  it('leaves out read notifications, disabled types, and NEVER, IMMEDIATE and email-off users', async () => {
    const onlyRead = await subscriber('DAILY');
    const disabledType = await subscriber('DAILY', { enabledTypes: ['PAYOUT'] });
    const never = await subscriber('NEVER');
    const immediate = await subscriber('IMMEDIATE');
    const emailOff = await subscriber('DAILY', { emailEnabled: false });
    const withoutPreferences = await createUser(db());
    const createdAt = at('2026-03-10T08:00:00Z');
    await createNotification(db(), { userId: onlyRead.id, createdAt, read: true });
    await createNotification(db(), { userId: disabledType.id, createdAt, type: 'MESSAGE' });
    for (const user of [never, immediate, emailOff, withoutPreferences]) {
      await createNotification(db(), { userId: user.id, createdAt });
    }

    const runs = await planHour(db(), at('2026-03-10T09:00:00Z'), 500);

    // Selected: the two DAILY users with email on; planned: neither has anything to send.
    expect(runs).toMatchObject([{ frequency: 'DAILY', usersSelected: 2, digestsPlanned: 0 }]);
    expect((await planned()).size).toBe(0);
    const [run] = await db().select().from(digestRuns);
    expect(run?.finishedAt).toBeInstanceOf(Date);
  });

  it('plans WEEKLY on Monday 09:00 over the seven days before, and DAILY beside it', async () => {
    const weekly = await subscriber('WEEKLY');
    const daily = await subscriber('DAILY');
    // 2026-03-09 is a Monday.
    await createNotification(db(), { userId: weekly.id, createdAt: at('2026-03-02T09:00:00Z') });
    await createNotification(db(), { userId: daily.id, createdAt: at('2026-03-09T08:59:59Z') });

    const tuesday = await planHour(db(), at('2026-03-10T09:00:00Z'), 500);
    expect(tuesday?.map((run) => run.frequency)).toEqual(['DAILY']);

    const monday = await planHour(db(), at('2026-03-09T09:00:00Z'), 500);
    expect(monday?.map((run) => [run.frequency, run.digestsPlanned])).toEqual([
      ['DAILY', 1],
      ['WEEKLY', 1],
    ]);
    expect((await planned()).get(weekly.id)).toMatchObject({
      windowStart: at('2026-03-02T09:00:00Z'),
      windowEnd: at('2026-03-09T09:00:00Z'),
    });
  });

  it('plans an hour once, however many ticks plan it', async () => {
    const user = await subscriber('DAILY');
    await createNotification(db(), { userId: user.id, createdAt: at('2026-03-10T08:00:00Z') });
    const hour = at('2026-03-10T09:00:00Z');

    const results = await Promise.all([1, 2, 3].map(() => planHour(db(), hour, 500)));

    expect(results.filter((runs) => runs !== null)).toHaveLength(1);
    expect(await db().select().from(digestRuns)).toHaveLength(1);
    expect((await planned()).size).toBe(1);
    expect(await planHour(db(), hour, 500)).toBeNull();
  });

  it('numbers the planned users into chunks of the chunk size, in user order', async () => {
    const users = [];
    for (let index = 0; index < 5; index += 1) {
      const user = await subscriber('DAILY');
      await createNotification(db(), { userId: user.id, createdAt: at('2026-03-10T08:00:00Z') });
      users.push(user.id);
    }
    const [run] = (await planHour(db(), at('2026-03-10T09:00:00Z'), 2)) ?? [];
    expect(run).toMatchObject({ digestsPlanned: 5, chunks: 3 });
    const rows = await planned();
    expect(users.sort().map((id) => rows.get(id)?.chunk)).toEqual([0, 0, 1, 1, 2]);
  });

  describe('in the user’s zone', () => {
    /** The hours between 00:00 and 23:00 UTC of `day` whose plan selects the user. */
    async function hoursSelecting(userId: string, day: string) {
      const hours: string[] = [];
      for (let hour = 0; hour < 24; hour += 1) {
        const instant = at(`${day}T${String(hour).padStart(2, '0')}:00:00Z`);
        await planHour(db(), instant, 500);
        if ((await planned()).has(userId)) {
          hours.push(instant.toISOString());
          await db().execute(sql`delete from ${digestDeliveries}`);
        }
      }
      return hours;
    }

    it('sends Asia/Tokyo’s DAILY digest at local 09:00, 00:00 UTC', async () => {
      const user = await subscriber('DAILY', { timezone: 'Asia/Tokyo' });
      await createNotification(db(), { userId: user.id, createdAt: at('2026-03-09T12:00:00Z') });
      expect(await hoursSelecting(user.id, '2026-03-10')).toEqual(['2026-03-10T00:00:00.000Z']);
    });

    it('follows America/New_York over the March DST change: a 23-hour window, then 13:00 UTC', async () => {
      const user = await subscriber('DAILY', { timezone: 'America/New_York' });
      // DST starts on Sunday 2026-03-08 at 02:00 local: 09:00 is 14:00 UTC before, 13:00 after.
      await createNotification(db(), { userId: user.id, createdAt: at('2026-03-08T12:59:59Z') });
      await createNotification(db(), { userId: user.id, createdAt: at('2026-03-09T12:00:00Z') });

      await planHour(db(), at('2026-03-08T13:00:00Z'), 500);
      expect((await planned()).get(user.id)).toMatchObject({
        windowStart: at('2026-03-07T14:00:00Z'),
        windowEnd: at('2026-03-08T13:00:00Z'),
      });
      await db().execute(sql`delete from ${digestDeliveries}`);
      expect(await hoursSelecting(user.id, '2026-03-09')).toEqual(['2026-03-09T13:00:00.000Z']);
    });

    it('follows America/New_York over the November DST change: a 25-hour window, then 14:00 UTC', async () => {
      const user = await subscriber('DAILY', { timezone: 'America/New_York' });
      // DST ends on Sunday 2026-11-01 at 02:00 local: 09:00 is 13:00 UTC before, 14:00 after.
      await createNotification(db(), { userId: user.id, createdAt: at('2026-10-31T13:00:00Z') });
      await createNotification(db(), { userId: user.id, createdAt: at('2026-11-01T13:30:00Z') });
      await createNotification(db(), { userId: user.id, createdAt: at('2026-11-01T15:00:00Z') });

      await planHour(db(), at('2026-11-01T14:00:00Z'), 500);
      expect((await planned()).get(user.id)).toMatchObject({
        windowStart: at('2026-10-31T13:00:00Z'),
        windowEnd: at('2026-11-01T14:00:00Z'),
      });
      await db().execute(sql`delete from ${digestDeliveries}`);
      expect(await hoursSelecting(user.id, '2026-11-02')).toEqual(['2026-11-02T14:00:00.000Z']);
    });

    it('sends a half-hour zone’s digest from the first tick after its 09:00, never before', async () => {
      const user = await subscriber('DAILY', { timezone: 'Asia/Kolkata' });
      // 09:00 in Kolkata (UTC+5:30) is 03:30 UTC: a notification at 03:15 belongs in it.
      await createNotification(db(), { userId: user.id, createdAt: at('2026-03-10T03:15:00Z') });
      expect(await hoursSelecting(user.id, '2026-03-10')).toEqual(['2026-03-10T04:00:00.000Z']);
      await createNotification(db(), { userId: user.id, createdAt: at('2026-03-11T03:29:59Z') });
      await planHour(db(), at('2026-03-11T04:00:00Z'), 500);
      expect((await planned()).get(user.id)).toMatchObject({
        windowStart: at('2026-03-10T03:30:00Z'),
        windowEnd: at('2026-03-11T03:30:00Z'),
      });
    });

    it('keeps the spec’s 09:00 UTC run even when nobody chose the frequency', async () => {
      const runs = await planHour(db(), at('2026-03-10T09:00:00Z'), 500);
      expect(runs).toMatchObject([{ frequency: 'DAILY', usersSelected: 0, digestsPlanned: 0 }]);
      expect(await planHour(db(), at('2026-03-10T10:00:00Z'), 500)).toEqual([]);
    });
  });
});
