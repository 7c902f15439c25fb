import { Writable } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { deliveryJobId, enqueueDeliveries } from '@conveyor/notifications/delivery-jobs';
import { schedules } from '@conveyor/queue-contracts';
import { waitUntil } from '@conveyor/test-harness/ports';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  startTestWorker,
  type TestWorker,
  type TestWorkerOptions,
} from './helpers/delivery-worker.js';
import { createNotification, createUser, emailState } from '@conveyor/notifications/testing';
import { createSmtpSink, type SmtpSink } from '@conveyor/test-harness/smtp';

let database: TestDatabase;
let sink: SmtpSink;
let started: TestWorker[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());
beforeEach(async () => {
  sink = await createSmtpSink();
});
afterEach(async () => {
  for (const worker of started.reverse()) await worker.cleanup();
  started = [];
  await sink.stop();
});

async function start(options: Partial<TestWorkerOptions> = {}) {
  const worker = await startTestWorker({
    databaseUrl: database.url,
    smtpUrl: sink.url,
    ...options,
  });
  started.push(worker);
  return worker;
}

/** A pino logger whose JSON lines land in an array. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { lines, logger: pino({ level: 'info', base: { app: 'delivery-worker' } }, stream) };
}

describe('createDeliveryWorker', () => {
  it('finishes the job in flight before close resolves, the mail delivered and marked', async () => {
    const tw = await start();
    sink.replyDelayMs = 1_000;
    const user = await createUser(tw.deps.db.db);
    const id = await createNotification(tw.deps.db.db, { userId: user.id });
    const job = await tw.addDelivery(id);
    await waitUntil(() => sink.dataStarted === 1, { what: 'the message data to start' });

    const closing = Date.now();
    await tw.stopWorker();

    expect(Date.now() - closing).toBeGreaterThan(500);
    expect(sink.to(user.email!)).toHaveLength(1);
    expect((await emailState(tw.deps.db.db, id))?.emailStatus).toBe('sent');
    expect(await tw.queue.getJobState(job.id!)).toBe('completed');
  });

  it('upserts the outbox sweep scheduler once, however many instances start', async () => {
    const tw = await start();
    const schedule = schedules.notificationOutboxSweep;
    expect(await tw.queue.getJobScheduler(schedule.id)).toMatchObject({
      key: schedule.id,
      name: 'notification.sweep',
      pattern: schedule.pattern,
      tz: 'UTC',
    });

    await start({ prefix: tw.prefix });
    await start({ prefix: tw.prefix });
    expect(await tw.queue.getJobSchedulersCount()).toBe(1);
    const next = (await tw.queue.getDelayed()).filter((job) => job.name === 'notification.sweep');
    expect(next).toHaveLength(1);
    expect(next[0]?.opts.attempts).toBe(1);
  });

  it('processes as many deliveries at once as DELIVERY_CONCURRENCY allows', async () => {
    const tw = await start({ env: { DELIVERY_CONCURRENCY: '2', SMTP_POOL_SIZE: '5' } });
    sink.replyDelayMs = 250;
    const ids = [];
    for (let index = 0; index < 6; index += 1) {
      const user = await createUser(tw.deps.db.db);
      ids.push(await createNotification(tw.deps.db.db, { userId: user.id }));
    }
    await enqueueDeliveries(tw.producer, ids);

    await sink.waitForMessages(6);
    expect(sink.maxInFlight).toBe(2);
  });

  it('writes the notification id and the request id on every log line of a job', async () => {
    const { lines, logger } = capturingLogger();
    const tw = await start({ logger });
    sink.dataReplies.push({ code: 421, message: '4.7.0 Too busy, try later' });
    const user = await createUser(tw.deps.db.db);
    const id = await createNotification(tw.deps.db.db, { userId: user.id });
    const job = await tw.addDelivery(id, { backoff: { type: 'fixed', delay: 50 } });
    expect(await tw.finished(job)).toEqual({ outcome: 'sent' });

    const jobLines = lines.filter((line) => line.notificationId === id);
    expect(jobLines.map((line) => line.msg)).toEqual(['email not sent, will retry', 'email sent']);
    for (const line of jobLines) {
      expect(line).toMatchObject({
        app: 'delivery-worker',
        queue: 'notification-delivery',
        jobId: deliveryJobId(id),
        notificationId: id,
        requestId: `req-${id.slice(0, 8)}`,
      });
    }
    expect(jobLines[1]).toMatchObject({ messageId: `<notification-${id}@conveyor.local>` });
  });

  it('counts emails by outcome in its Prometheus metrics', async () => {
    const tw = await start();
    const reader = await createUser(tw.deps.db.db);
    const muted = await createUser(tw.deps.db.db, {
      preferences: { emailEnabled: false, digestFrequency: 'IMMEDIATE', enabledTypes: ['MESSAGE'] },
    });
    const sent = await tw.addDelivery(
      await createNotification(tw.deps.db.db, { userId: reader.id }),
    );
    const skipped = await tw.addDelivery(
      await createNotification(tw.deps.db.db, { userId: muted.id }),
    );
    await Promise.all([tw.finished(sent), tw.finished(skipped)]);

    const text = await tw.deps.metrics.metrics();
    expect(text).toMatch(/notification_emails_total\{[^}]*outcome="sent"[^}]*\} 1/);
    expect(text).toMatch(/notification_emails_total\{[^}]*outcome="skipped"[^}]*\} 1/);
    expect(text).toMatch(/notification_email_send_seconds_count\{[^}]*\} 1/);
  });
});
