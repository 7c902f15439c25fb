import { createDb, type DbHandle } from '@conveyor/db/client';
import { digestDeliveries, digestRuns, digestTicks } from '@conveyor/db/schema';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { allNotificationTypes } from '@conveyor/notifications/model';
import { createNotification, createUser } from '@conveyor/notifications/testing';
import { schedules } from '@conveyor/queue-contracts';
import { waitUntil } from '@conveyor/test-harness/ports';
import { createSmtpSink, type SmtpSink } from '@conveyor/test-harness/smtp';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDigestWorker, type TestDigestWorker } from './helpers/digest-worker.js';

let database: TestDatabase;
let handle: DbHandle;
let sink: SmtpSink;
let started: TestDigestWorker[] = [];
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
  sink = await createSmtpSink();
  await db().execute(sql`truncate ${digestTicks}, ${digestRuns}, ${digestDeliveries} cascade`);
  await db().execute(sql`delete from users`);
});
afterEach(async () => {
  for (const worker of started.reverse()) await worker.cleanup();
  started = [];
  await sink.stop();
});

async function start(now: Date, prefix?: string) {
  const worker = await startDigestWorker({
    databaseUrl: database.url,
    smtpUrl: sink.url,
    now: () => now,
    ...(prefix ? { prefix } : {}),
  });
  started.push(worker);
  return worker;
}

/** DAILY subscribers, each with one unread notification an hour before 09:00 UTC on `day`. */
async function dailySubscribers(count: number, day: string) {
  const emails: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const user = await createUser(db(), {
      preferences: {
        digestFrequency: 'DAILY',
        emailEnabled: true,
        enabledTypes: [...allNotificationTypes],
      },
    });
    await createNotification(db(), { userId: user.id, createdAt: new Date(`${day}T08:00:00Z`) });
    emails.push(user.email!);
  }
  return emails.sort();
}

const settledRows = async () =>
  db()
    .select({ status: digestDeliveries.status })
    .from(digestDeliveries)
    .where(sql`${digestDeliveries.status} not in ('pending', 'sending')`);

const recipients = () => sink.messages.map((message) => message.envelope.to[0]).sort();

describe('createDigestWorker', () => {
  it('plans the hour on start and sends each DAILY digest once, through chunk jobs', async () => {
    const emails = await dailySubscribers(3, '2026-03-10');
    await start(new Date('2026-03-10T09:05:00Z'));

    await sink.waitForMessages(3);
    expect(recipients()).toEqual(emails);
    await waitUntil(async () => (await settledRows()).length === 3, {
      what: 'every digest to be marked',
    });
  });

  it('upserts one tick scheduler however many instances start, and plans each hour once', async () => {
    const now = new Date('2026-03-11T09:10:00Z');
    const emails = await dailySubscribers(2, '2026-03-11');
    const first = await start(now);
    await start(now, first.prefix);
    await start(now, first.prefix);
    await first.producer.enqueue('digest.tick', {}, { jobId: 'tick-again' });

    expect(await first.queue.getJobSchedulersCount()).toBe(1);
    expect(await first.queue.getJobScheduler(schedules.digestTick.id)).toMatchObject({
      key: schedules.digestTick.id,
      name: 'digest.tick',
      pattern: '0 * * * *',
      tz: 'UTC',
    });
    await sink.waitForMessages(2);
    await waitUntil(async () => (await settledRows()).length === 2, {
      what: 'both digests to be marked',
    });
    // Time for a stray double to arrive, had anything doubled.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(recipients()).toEqual(emails);
    expect(await db().select().from(digestRuns)).toHaveLength(1);
  });

  it('catches up a 09:00 missed while every worker was down, once, when one comes back', async () => {
    const emails = await dailySubscribers(2, '2026-03-12');
    // The last hour any worker planned was 07:00; nothing ran at 08:00 or 09:00.
    await db()
      .insert(digestTicks)
      .values({ hour: new Date('2026-03-12T07:00:00Z') });

    const back = await start(new Date('2026-03-12T11:20:00Z'));
    await sink.waitForMessages(2);
    await waitUntil(async () => (await settledRows()).length === 2, {
      what: 'the caught-up digests to be marked',
    });
    const hours = await db()
      .select({ hour: digestTicks.hour })
      .from(digestTicks)
      .orderBy(digestTicks.hour);
    expect(hours.map((row) => row.hour.toISOString().slice(11, 16))).toEqual([
      '07:00',
      '08:00',
      '09:00',
      '10:00',
      '11:00',
    ]);

    // Another tick, later the same hour: nothing more.
    await back.producer.enqueue('digest.tick', {}, { jobId: 'tick-later' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(recipients()).toEqual(emails);
  });
});
