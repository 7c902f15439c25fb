import { createDb, type DbHandle } from '@conveyor/db/client';
import { digestDeliveries, digestRuns } from '@conveyor/db/schema';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digestStats } from '../src/digest-stats.js';
import { allNotificationTypes } from '../src/model.js';
import { createUser } from '../src/testing.js';

let database: TestDatabase;
let handle: DbHandle;
const db = () => handle.db;

beforeAll(async () => {
  database = await createTestDatabase();
  handle = createDb(database.url, { max: 2 });
});
afterAll(async () => {
  await handle.close();
  await database.drop();
});
beforeEach(async () => {
  await db().execute(sql`truncate ${digestRuns} cascade`);
  await db().execute(sql`delete from users`);
});

const tuesday = new Date('2026-03-10T10:00:00Z');

describe('digestStats', () => {
  it('names the spec’s next 09:00 UTC runs before any run or subscriber exists', async () => {
    expect(await digestStats(db(), tuesday)).toEqual({
      nextDailyRun: '2026-03-11T09:00:00.000Z',
      nextWeeklyRun: '2026-03-16T09:00:00.000Z',
      latest: {},
    });
    // Monday before 09:00: this morning's runs are next.
    const monday = await digestStats(db(), new Date('2026-03-09T08:59:00Z'));
    expect(monday.nextDailyRun).toBe('2026-03-09T09:00:00.000Z');
    expect(monday.nextWeeklyRun).toBe('2026-03-09T09:00:00.000Z');
  });

  it('brings the next run forward to the first zone in use that reaches 09:00', async () => {
    await createUser(db(), {
      preferences: {
        digestFrequency: 'DAILY',
        emailEnabled: true,
        enabledTypes: [...allNotificationTypes],
        timezone: 'Asia/Tokyo',
      },
    });
    // 09:00 in Tokyo is 00:00 UTC, before 09:00 UTC.
    expect((await digestStats(db(), tuesday)).nextDailyRun).toBe('2026-03-11T00:00:00.000Z');
  });

  it('names the tick after a half-hour zone’s 09:00 as its run', async () => {
    await createUser(db(), {
      preferences: {
        digestFrequency: 'DAILY',
        emailEnabled: true,
        enabledTypes: [...allNotificationTypes],
        timezone: 'Asia/Kolkata',
      },
    });
    // 09:00 in Kolkata is 03:30 UTC; the 04:00 tick sends it.
    expect((await digestStats(db(), tuesday)).nextDailyRun).toBe('2026-03-11T04:00:00.000Z');
  });

  it('reports the latest run of each frequency with what became of its digests', async () => {
    const [older] = await db()
      .insert(digestRuns)
      .values({
        frequency: 'DAILY',
        scheduledFor: new Date('2026-03-09T09:00:00Z'),
        usersSelected: 1,
        digestsPlanned: 0,
        chunks: 0,
        finishedAt: new Date('2026-03-09T09:00:01Z'),
      })
      .returning();
    const [run] = await db()
      .insert(digestRuns)
      .values({
        frequency: 'DAILY',
        scheduledFor: new Date('2026-03-10T09:00:00Z'),
        usersSelected: 6,
        digestsPlanned: 4,
        chunks: 1,
      })
      .returning();
    const window = {
      frequency: 'DAILY' as const,
      windowStart: new Date('2026-03-09T09:00:00Z'),
      windowEnd: new Date('2026-03-10T09:00:00Z'),
    };
    const statuses = ['sent', 'sent', 'skipped', 'pending'] as const;
    for (const status of statuses) {
      const user = await createUser(db());
      await db()
        .insert(digestDeliveries)
        .values({ runId: run!.id, chunk: 0, userId: user.id, status, ...window });
    }

    const stats = await digestStats(db(), tuesday);
    expect(older).toBeDefined();
    expect(stats.lastDailyRun).toBe('2026-03-10T09:00:00.000Z');
    expect(stats.lastWeeklyRun).toBeUndefined();
    expect(stats.latest).toEqual({
      DAILY: {
        scheduledFor: '2026-03-10T09:00:00.000Z',
        usersSelected: 6,
        digestsPlanned: 4,
        sent: 2,
        skipped: 1,
        failed: 0,
        open: 1,
      },
    });
  });
});
