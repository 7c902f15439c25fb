import { createDb, type DbHandle } from '@conveyor/db/client';
import { digestDeliveries, digestRuns, notificationPreferences } from '@conveyor/db/schema';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { createMailer, type Mailer } from '@conveyor/mail/mailer';
import { allNotificationTypes } from '@conveyor/notifications/model';
import { createNotification, createUser } from '@conveyor/notifications/testing';
import { createLogger } from '@conveyor/runtime/logger';
import { createSmtpSink, type SmtpSink } from '@conveyor/test-harness/smtp';
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { planHour } from '../src/digest-plan.js';
import { sendDigestChunk, type ChunkDeps } from '../src/processors/send-chunk.js';

let database: TestDatabase;
let handle: DbHandle;
let sink: SmtpSink;
const mailers: Mailer[] = [];
const db = () => handle.db;

beforeAll(async () => {
  database = await createTestDatabase();
  handle = createDb(database.url, { max: 6 });
});
afterAll(async () => {
  await handle.close();
  await database.drop();
});
beforeEach(async () => {
  sink = await createSmtpSink();
  await db().execute(sql`truncate digest_ticks, digest_runs, digest_deliveries cascade`);
  await db().execute(sql`delete from users`);
});
afterEach(async () => {
  for (const mailer of mailers.splice(0)) mailer.close();
  await sink.stop();
});

const hour = new Date('2026-03-10T09:00:00Z');

/** The processor as the worker calls it, with a mailer of its own on the sink. */
function deps(env: Record<string, string> = {}): ChunkDeps {
  const config = loadConfig({
    APP_URL: 'https://app.example.test',
    EMAIL_ID_DOMAIN: 'mail.example.test',
    SMTP_URL: sink.url,
    SMTP_TIMEOUT_MS: '1000',
    CLAIM_LEASE_SECONDS: '5',
    ...env,
  });
  const mailer = createMailer({
    url: sink.url,
    from: config.SMTP_FROM,
    poolSize: 3,
    timeoutMs: 1_000,
  });
  mailers.push(mailer);
  return {
    db: db(),
    mailer,
    config,
    logger: createLogger({ app: 'test', level: 'silent', pretty: false }),
  };
}

/** A DAILY subscriber with `count` unread notifications in the 09:00 UTC window. */
async function subscriber(count = 2, email?: string | null) {
  const user = await createUser(db(), {
    ...(email === undefined ? {} : { email }),
    preferences: {
      digestFrequency: 'DAILY',
      emailEnabled: true,
      enabledTypes: [...allNotificationTypes],
    },
  });
  for (let index = 0; index < count; index += 1) {
    await createNotification(db(), {
      userId: user.id,
      title: `Update ${index + 1}`,
      createdAt: new Date(hour.getTime() - (index + 1) * 60_000),
    });
  }
  return user;
}

async function planDaily() {
  const runs = await planHour(db(), hour, 500);
  const run = runs?.find((candidate) => candidate.frequency === 'DAILY');
  if (!run) throw new Error('no DAILY run planned');
  return run;
}

async function deliveryOf(userId: string) {
  const [row] = await db()
    .select()
    .from(digestDeliveries)
    .where(eq(digestDeliveries.userId, userId));
  return row;
}

describe('digest.chunk', () => {
  it('sends one digest per user, records it sent with its count, and sets lastDigestSentAt', async () => {
    const ada = await subscriber(2, 'ada@example.test');
    const run = await planDaily();

    expect(await sendDigestChunk(deps(), { runId: run.runId, chunk: 0 })).toEqual({
      sent: 1,
      skipped: 0,
      failed: 0,
    });

    const [received] = await sink.waitForMessages(1);
    expect(received!.envelope.to).toEqual(['ada@example.test']);
    expect(received!.mail.subject).toBe('Your daily digest: 2 unread notifications');
    expect(received!.mail.text).toContain('Update 1');
    expect(received!.mail.text).toContain('https://app.example.test/settings/notifications');
    const delivery = await deliveryOf(ada.id);
    expect(delivery).toMatchObject({ status: 'sent', notificationCount: 2, attempts: 1 });
    expect(received!.mail.messageId).toBe(`<digest-${delivery!.id}@mail.example.test>`);
    const [preferences] = await db()
      .select({ lastDigestSentAt: notificationPreferences.lastDigestSentAt })
      .from(notificationPreferences)
      .where(eq(notificationPreferences.userId, ada.id));
    expect(preferences?.lastDigestSentAt).toEqual(delivery!.sentAt);
    const [runRow] = await db().select().from(digestRuns).where(eq(digestRuns.id, run.runId));
    expect(runRow?.finishedAt).toBeInstanceOf(Date);
  });

  it('sends nothing new when the same chunk runs again, or twice at once', async () => {
    await subscriber();
    await subscriber();
    const run = await planDaily();
    const payload = { runId: run.runId, chunk: 0 };

    const racing = await Promise.all([
      sendDigestChunk(deps(), payload),
      sendDigestChunk(deps(), payload),
    ]);
    expect(racing[0].sent + racing[1].sent).toBe(2);
    expect(await sendDigestChunk(deps(), payload)).toEqual({ sent: 0, skipped: 0, failed: 0 });
    expect(sink.messages).toHaveLength(2);
  });

  it('skips, with the reason, a digest whose notifications were read or whose user turned email off', async () => {
    const reader = await subscriber(1);
    const quitter = await subscriber(1);
    const homeless = await subscriber(1, null);
    const run = await planDaily();
    await db().execute(sql`update notifications set read = true where user_id = ${reader.id}`);
    await db()
      .update(notificationPreferences)
      .set({ emailEnabled: false })
      .where(eq(notificationPreferences.userId, quitter.id));

    expect(await sendDigestChunk(deps(), { runId: run.runId, chunk: 0 })).toEqual({
      sent: 0,
      skipped: 3,
      failed: 0,
    });
    expect(sink.messages).toHaveLength(0);
    expect(await deliveryOf(reader.id)).toMatchObject({
      status: 'skipped',
      reason: 'nothing-unread',
    });
    expect(await deliveryOf(quitter.id)).toMatchObject({
      status: 'skipped',
      reason: 'email-disabled',
    });
    expect(await deliveryOf(homeless.id)).toMatchObject({
      status: 'skipped',
      reason: 'no-email-address',
    });
  });

  it('puts digests back to pending and throws while the relay is down, then sends them once it is back', async () => {
    const user = await subscriber();
    const run = await planDaily();
    await sink.stop();

    await expect(sendDigestChunk(deps(), { runId: run.runId, chunk: 0 })).rejects.toThrow(
      /1 digests not sent, will retry/,
    );
    expect(await deliveryOf(user.id)).toMatchObject({ status: 'pending', attempts: 1 });

    await sink.start();
    expect(await sendDigestChunk(deps(), { runId: run.runId, chunk: 0 })).toMatchObject({
      sent: 1,
    });
    expect(sink.to(user.email!)).toHaveLength(1);
    expect(await deliveryOf(user.id)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('marks a digest the relay refuses for good as failed, with the reply', async () => {
    const user = await subscriber(1, 'gone@example.test');
    const run = await planDaily();
    sink.rejectRecipients.set('gone@example.test', { code: 550, message: '5.1.1 No such user' });

    expect(await sendDigestChunk(deps(), { runId: run.runId, chunk: 0 })).toEqual({
      sent: 0,
      skipped: 0,
      failed: 1,
    });
    const delivery = await deliveryOf(user.id);
    expect(delivery?.status).toBe('failed');
    expect(delivery?.reason).toMatch(/550.*No such user/);
  });

  it('never resends a digest whose worker stopped mid-send: it is settled as failed after the lease', async () => {
    const user = await subscriber();
    const run = await planDaily();
    // What a worker killed after the relay's 250 leaves behind: the row claimed, the mail out.
    await db()
      .update(digestDeliveries)
      .set({ status: 'sending', attempts: 1, claimedAt: sql`now() - interval '10 seconds'` })
      .where(eq(digestDeliveries.userId, user.id));

    expect(await sendDigestChunk(deps(), { runId: run.runId, chunk: 0 })).toEqual({
      sent: 0,
      skipped: 0,
      failed: 1,
    });
    expect(sink.messages).toHaveLength(0);
    expect(await deliveryOf(user.id)).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/^interrupted/),
    });
  });

  it('leaves a fresh claim of another worker alone', async () => {
    const user = await subscriber();
    const run = await planDaily();
    await db()
      .update(digestDeliveries)
      .set({ status: 'sending', attempts: 1, claimedAt: sql`now()` })
      .where(eq(digestDeliveries.userId, user.id));

    expect(await sendDigestChunk(deps(), { runId: run.runId, chunk: 0 })).toEqual({
      sent: 0,
      skipped: 0,
      failed: 0,
    });
    expect(await deliveryOf(user.id)).toMatchObject({ status: 'sending' });
  });
});
