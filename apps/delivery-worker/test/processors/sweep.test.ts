import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { notifications } from '@conveyor/db/schema';
import { deliveryJobId } from '@conveyor/notifications/delivery-jobs';
import { sweepNotificationOutbox } from '@conveyor/queue-contracts';
import { createLogger } from '@conveyor/runtime/logger';
import { waitUntil } from '@conveyor/test-harness/ports';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dueQuery } from '../../src/delivery-store.js';
import { sweepOutbox, type SweepDeps } from '../../src/processors/sweep.js';
import { startTestWorker, type TestWorker } from '../helpers/delivery-worker.js';
import { createNotification, createUser, emailState } from '@conveyor/notifications/testing';
import { createSmtpSink, type SmtpSink } from '@conveyor/test-harness/smtp';

let database: TestDatabase;
let sink: SmtpSink;
let tw: TestWorker;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

beforeEach(async () => {
  sink = await createSmtpSink();
  tw = await startTestWorker({
    databaseUrl: database.url,
    smtpUrl: sink.url,
    env: { OUTBOX_GRACE_SECONDS: '0' },
  });
});
afterEach(async () => {
  // Every test starts with an empty outbox, so a sweep's count is the test's own.
  await tw.stopWorker();
  await tw.deps.db.db.delete(notifications);
  await tw.cleanup();
  await sink.stop();
});

const db = () => tw.deps.db.db;

const sweepDeps = (overrides: Partial<SweepDeps> = {}): SweepDeps => ({
  db: db(),
  producer: tw.producer,
  config: tw.config,
  logger: createLogger({ app: 'test', level: 'silent', pretty: false }),
  ...overrides,
});

/** Notifications committed with no job, as a producer that died right after its commit leaves them. */
async function orphanedNotifications(count: number, fixture: Record<string, unknown> = {}) {
  const rows = [];
  for (let index = 0; index < count; index += 1) {
    const user = await createUser(db());
    rows.push({ user, id: await createNotification(db(), { userId: user.id, ...fixture }) });
  }
  return rows;
}

async function allSent(ids: string[]) {
  await waitUntil(
    async () => {
      const rows = await db()
        .select({ status: notifications.emailStatus })
        .from(notifications)
        .where(inArray(notifications.id, ids));
      return rows.every((row) => row.status === 'sent');
    },
    { what: 'every notification sent' },
  );
}

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

describe('notification.sweep', () => {
  it('delivers notifications whose process died between the commit and the enqueue', async () => {
    const rows = await orphanedNotifications(3);

    const sweep = await tw.queue.add(
      sweepNotificationOutbox.name,
      {},
      sweepNotificationOutbox.options,
    );
    expect(await tw.finished(sweep)).toEqual({ enqueued: 3 });

    await allSent(rows.map((row) => row.id));
    for (const row of rows) expect(sink.to(row.user.email!)).toHaveLength(1);
    expect(sink.messages).toHaveLength(3);
  });

  it('doubles no mail when the sweep runs twice, or while deliveries are in flight', async () => {
    sink.replyDelayMs = 200;
    const rows = await orphanedNotifications(3);
    const ids = rows.map((row) => row.id);

    const [first, second] = await Promise.all([
      sweepOutbox(sweepDeps(), {}),
      sweepOutbox(sweepDeps(), {}),
    ]);
    expect(first).toEqual({ enqueued: 3 });
    expect(second).toEqual({ enqueued: 3 });
    // A third while the first mails are in flight: rows already claimed are no longer due.
    const third = await sweepOutbox(sweepDeps(), {});
    expect(third.enqueued).toBeLessThanOrEqual(3);

    await allSent(ids);
    expect(await sweepOutbox(sweepDeps(), {})).toEqual({ enqueued: 0 });
    // One delivery job per notification, all completed (the delayed job is the scheduler's).
    const jobs = await tw.queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed']);
    const deliveries = jobs.filter((job) => job.name === 'notification.deliver');
    expect(deliveries.map((job) => job.id).sort()).toEqual(ids.map(deliveryJobId).sort());
    expect(await Promise.all(deliveries.map((job) => job.getState()))).toEqual([
      'completed',
      'completed',
      'completed',
    ]);
    expect(sink.messages).toHaveLength(3);
    for (const id of ids) expect((await emailState(db(), id))?.emailAttempts).toBe(1);
  });

  it('leaves pending notifications younger than the grace period to their own job', async () => {
    const [fresh] = await orphanedNotifications(1);
    const [old] = await orphanedNotifications(1, { createdAt: minutesAgo(1) });
    const graced = sweepDeps({ config: { OUTBOX_GRACE_SECONDS: 30, CLAIM_LEASE_SECONDS: 120 } });

    expect(await sweepOutbox(graced, {})).toEqual({ enqueued: 1 });
    await allSent([old!.id]);
    expect(await tw.queue.getJobState(deliveryJobId(fresh!.id))).toBe('unknown');
    expect((await emailState(db(), fresh!.id))?.emailStatus).toBe('pending');
  });

  it('retakes a sending claim older than the lease and delivers it once, and leaves a fresh claim alone', async () => {
    const [stale] = await orphanedNotifications(1, {
      emailStatus: 'sending',
      emailClaimedAt: minutesAgo(10),
      emailAttempts: 1,
      createdAt: minutesAgo(11),
    });
    const [held] = await orphanedNotifications(1, {
      emailStatus: 'sending',
      emailClaimedAt: new Date(),
      emailAttempts: 1,
      createdAt: minutesAgo(11),
    });

    expect(await sweepOutbox(sweepDeps(), {})).toEqual({ enqueued: 1 });
    await allSent([stale!.id]);
    expect(sink.to(stale!.user.email!)).toHaveLength(1);
    expect(await emailState(db(), stale!.id)).toMatchObject({
      emailStatus: 'sent',
      emailAttempts: 2,
    });

    expect(sink.to(held!.user.email!)).toHaveLength(0);
    expect(await emailState(db(), held!.id)).toMatchObject({
      emailStatus: 'sending',
      emailAttempts: 1,
    });
  });

  it('re-creates a finished job for a row whose claim holder died after the job completed', async () => {
    const [row] = await orphanedNotifications(1, {
      emailStatus: 'sending',
      emailClaimedAt: new Date(),
      emailAttempts: 1,
    });
    const job = await tw.addDelivery(row!.id);
    expect(await tw.finished(job)).toEqual({
      outcome: 'already-sent',
      reason: 'claimed-by-another-worker',
    });

    // The holder never comes back: its claim ages past the lease.
    await db()
      .update(notifications)
      .set({ emailClaimedAt: minutesAgo(10) })
      .where(eq(notifications.id, row!.id));
    expect(await sweepOutbox(sweepDeps(), {})).toEqual({ enqueued: 1 });

    await allSent([row!.id]);
    expect(sink.to(row!.user.email!)).toHaveLength(1);
    const rerun = await tw.queue.getJob(deliveryJobId(row!.id));
    expect(rerun?.returnvalue).toEqual({ outcome: 'sent' });
  });

  it('walks a large outbox in batches', async () => {
    const rows = await orphanedNotifications(5);
    expect(await sweepOutbox(sweepDeps({ batchSize: 2 }), {})).toEqual({ enqueued: 5 });
    await allSent(rows.map((row) => row.id));
    expect(sink.messages).toHaveLength(5);
  });

  it('reads the outbox through its partial index', async () => {
    const plan = await db().transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      return tx.execute<{ 'QUERY PLAN': string }>(
        sql`explain ${dueQuery({ graceSeconds: 30, leaseSeconds: 120, limit: 500 })}`,
      );
    });
    expect(plan.map((line) => line['QUERY PLAN']).join('\n')).toContain(
      'notifications_email_pending_idx',
    );
  });
});
