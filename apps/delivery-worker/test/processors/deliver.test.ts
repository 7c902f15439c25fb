import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { createLogger } from '@conveyor/runtime/logger';
import { waitUntil } from '@conveyor/test-harness/ports';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMailer, type Mailer } from '@conveyor/mail/mailer';
import { deliverNotification, type DeliverDeps } from '../../src/processors/deliver.js';
import { startTestWorker, type TestWorker } from '../helpers/delivery-worker.js';
import { createNotification, createUser, emailState } from '@conveyor/notifications/testing';
import { createSmtpSink, type SmtpSink } from '@conveyor/test-harness/smtp';

let database: TestDatabase;
let sink: SmtpSink;
let tw: TestWorker;
const mailers: Mailer[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

beforeEach(async () => {
  sink = await createSmtpSink();
  tw = await startTestWorker({
    databaseUrl: database.url,
    smtpUrl: sink.url,
    env: { APP_URL: 'https://app.example.test/', EMAIL_ID_DOMAIN: 'mail.example.test' },
  });
});
afterEach(async () => {
  await tw.cleanup();
  for (const mailer of mailers.splice(0)) mailer.close();
  await sink.stop();
});

const db = () => tw.deps.db.db;

/** The processor alone, called as the worker calls it, with a mailer of its own. */
function processorDeps(): DeliverDeps {
  const mailer = createMailer({
    url: sink.url,
    from: tw.config.SMTP_FROM,
    poolSize: 5,
    timeoutMs: 2_000,
  });
  mailers.push(mailer);
  return {
    db: db(),
    mailer,
    config: tw.config,
    logger: createLogger({ app: 'test', level: 'silent', pretty: false }),
  };
}

describe('notification.deliver', () => {
  it('sends the email with its recipient, subject, text, HTML, links and constant Message-ID, and marks the row sent', async () => {
    const user = await createUser(db(), { email: 'ada@example.test' });
    const id = await createNotification(db(), {
      userId: user.id,
      type: 'PAYOUT',
      title: 'Payout <approved>',
      message: 'Your payout of $120 & change is on its way.\n\nIt arrives in 2 days.',
      actionUrl: '/payouts/42',
      priority: 'HIGH',
    });

    const job = await tw.addDelivery(id);
    expect(await tw.finished(job)).toEqual({ outcome: 'sent' });

    const [received] = await sink.waitForMessages(1);
    const mail = received!.mail;
    expect(received!.envelope).toEqual({
      from: 'no-reply@conveyor.test',
      to: ['ada@example.test'],
    });
    expect(mail.from?.value).toEqual([{ address: 'no-reply@conveyor.test', name: 'Conveyor' }]);
    expect(mail.subject).toBe('[HIGH] Payout <approved>');
    expect(mail.messageId).toBe(`<notification-${id}@mail.example.test>`);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.headers.get('x-conveyor-notification-id')).toBe(id);

    expect(mail.text).toContain('Your payout of $120 & change is on its way.');
    expect(mail.text).toContain('Open: https://app.example.test/payouts/42');
    expect(mail.text).toContain('https://app.example.test/notifications');
    expect(mail.text).toContain('https://app.example.test/settings/notifications');

    const html = mail.html as string;
    expect(html).toContain('Payout &lt;approved&gt;');
    expect(html).not.toContain('<approved>');
    expect(html).toContain('Your payout of $120 &amp; change is on its way.');
    expect(html).toContain('<a href="https://app.example.test/payouts/42">');
    expect(html).toContain('<a href="https://app.example.test/notifications">');
    expect(html).toContain('<a href="https://app.example.test/settings/notifications">');

    const state = await emailState(db(), id);
    expect(state).toMatchObject({
      emailStatus: 'sent',
      emailAttempts: 1,
      emailReason: null,
      read: false,
    });
    expect(state?.emailSentAt).toBeInstanceOf(Date);
  });

  it('sends nothing new when the job runs again after the SMTP server answered 250', async () => {
    const user = await createUser(db());
    const id = await createNotification(db(), { userId: user.id });
    const job = await tw.addDelivery(id);
    expect(await tw.finished(job)).toEqual({ outcome: 'sent' });
    await sink.waitForMessages(1);

    // The same job id again while the completed job is kept: BullMQ adds nothing.
    const again = await tw.addDelivery(id);
    expect(again.id).toBe(job.id);
    expect(await tw.queue.getJobState(job.id!)).toBe('completed');

    // The job re-added after its record is gone: the processor runs and sends nothing.
    await tw.queue.remove(job.id!);
    const rerun = await tw.addDelivery(id);
    expect(await tw.finished(rerun)).toEqual({ outcome: 'already-sent' });

    // The processor itself, for the sent row.
    expect(await deliverNotification(processorDeps(), { notificationId: id })).toEqual({
      outcome: 'already-sent',
    });

    expect(sink.messages).toHaveLength(1);
    expect(await emailState(db(), id)).toMatchObject({ emailStatus: 'sent', emailAttempts: 1 });
  });

  it('sends one email when five workers race for the same notification', async () => {
    const user = await createUser(db());
    const id = await createNotification(db(), { userId: user.id });
    const deps = processorDeps();
    sink.replyDelayMs = 100;

    const results = await Promise.all(
      Array.from({ length: 5 }, () => deliverNotification(deps, { notificationId: id })),
    );

    expect(results.filter((result) => result.outcome === 'sent')).toHaveLength(1);
    expect(results.filter((result) => result.outcome === 'already-sent')).toHaveLength(4);
    expect(sink.to(user.email!)).toHaveLength(1);
    expect(await emailState(db(), id)).toMatchObject({ emailStatus: 'sent', emailAttempts: 1 });
  });

  it('retries while the SMTP server is down, counting attempts, and delivers once it is back', async () => {
    await sink.stop();
    const user = await createUser(db());
    const id = await createNotification(db(), { userId: user.id });
    const job = await tw.addDelivery(id, { attempts: 10, backoff: { type: 'fixed', delay: 300 } });

    // Between attempts the row is back in the outbox with the reason of the last failure.
    await waitUntil(
      async () => {
        const state = await emailState(db(), id);
        return state?.emailStatus === 'pending' && state.emailAttempts >= 2;
      },
      { what: 'two failed attempts' },
    );
    const between = await emailState(db(), id);
    expect(between?.emailReason).toMatch(/ECONNREFUSED/);
    expect(sink.messages).toHaveLength(0);

    await sink.start();
    expect(await tw.finished(job)).toEqual({ outcome: 'sent' });
    expect(sink.to(user.email!)).toHaveLength(1);
    const state = await emailState(db(), id);
    expect(state).toMatchObject({ emailStatus: 'sent', emailReason: null });
    expect(state!.emailAttempts).toBeGreaterThanOrEqual(3);
    expect((await tw.queue.getJob(job.id!))?.attemptsStarted).toBe(state!.emailAttempts);
  });

  it('treats a 4xx answer to the message as transient and sends it on the retry', async () => {
    sink.dataReplies.push({ code: 451, message: '4.3.0 Mailbox busy, try again later' });
    const user = await createUser(db());
    const id = await createNotification(db(), { userId: user.id });
    const job = await tw.addDelivery(id, { backoff: { type: 'fixed', delay: 100 } });

    expect(await tw.finished(job)).toEqual({ outcome: 'sent' });
    expect(sink.dataStarted).toBe(2);
    expect(sink.messages).toHaveLength(1);
    expect(await emailState(db(), id)).toMatchObject({ emailStatus: 'sent', emailAttempts: 2 });
  });

  it('marks a recipient refused with 550 failed with the reason, without retries', async () => {
    const user = await createUser(db());
    sink.rejectRecipients.set(user.email!, { code: 550, message: '5.1.1 No such user here' });
    const id = await createNotification(db(), { userId: user.id });
    const job = await tw.addDelivery(id);

    await expect(tw.finished(job)).rejects.toThrow(/email refused: smtp 550/);
    const failed = await tw.queue.getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1);
    const state = await emailState(db(), id);
    expect(state).toMatchObject({ emailStatus: 'failed', emailAttempts: 1, emailSentAt: null });
    expect(state?.emailReason).toMatch(/^smtp 550 \(RCPT TO\).*No such user here/);
    expect(sink.messages).toHaveLength(0);
  });

  it('marks a message refused with 554 failed with the reason, without retries', async () => {
    sink.dataReplies.push({ code: 554, message: '5.7.1 Message refused as spam' });
    const user = await createUser(db());
    const id = await createNotification(db(), { userId: user.id });
    const job = await tw.addDelivery(id);

    await expect(tw.finished(job)).rejects.toThrow(/email refused: smtp 554/);
    expect((await tw.queue.getJob(job.id!))?.attemptsMade).toBe(1);
    const state = await emailState(db(), id);
    expect(state?.emailStatus).toBe('failed');
    expect(state?.emailReason).toMatch(/smtp 554.*Message refused as spam/);
    expect(sink.dataStarted).toBe(1);
  });

  it('marks the row failed with the reason when the last attempt fails', async () => {
    await sink.stop();
    const user = await createUser(db());
    const id = await createNotification(db(), { userId: user.id });
    const job = await tw.addDelivery(id, { attempts: 2, backoff: { type: 'fixed', delay: 100 } });

    await expect(tw.finished(job)).rejects.toThrow(/email failed on its last attempt/);
    expect((await tw.queue.getJob(job.id!))?.attemptsMade).toBe(2);
    const state = await emailState(db(), id);
    expect(state).toMatchObject({ emailStatus: 'failed', emailAttempts: 2 });
    expect(state?.emailReason).toMatch(/ECONNREFUSED/);
  });

  it('skips a user without an email address with the reason no-email-address', async () => {
    const user = await createUser(db(), { email: null });
    const id = await createNotification(db(), { userId: user.id });
    const job = await tw.addDelivery(id);

    expect(await tw.finished(job)).toEqual({ outcome: 'skipped', reason: 'no-email-address' });
    expect(await emailState(db(), id)).toMatchObject({
      emailStatus: 'skipped',
      emailReason: 'no-email-address',
      emailAttempts: 0,
    });
    expect(sink.dataStarted).toBe(0);
  });

  it('answers with the recorded outcome for a row already skipped, digested or failed, and sends nothing', async () => {
    const user = await createUser(db());
    const skipped = await createNotification(db(), {
      userId: user.id,
      emailStatus: 'skipped',
      emailReason: 'email-disabled',
    });
    const digest = await createNotification(db(), {
      userId: user.id,
      emailStatus: 'digest',
      emailReason: 'digest-weekly',
    });
    const failed = await createNotification(db(), {
      userId: user.id,
      emailStatus: 'failed',
      emailReason: 'smtp 550: gone',
    });
    const deps = processorDeps();

    expect(await deliverNotification(deps, { notificationId: skipped })).toEqual({
      outcome: 'skipped',
      reason: 'email-disabled',
    });
    expect(await deliverNotification(deps, { notificationId: digest })).toEqual({
      outcome: 'skipped',
      reason: 'digest-weekly',
    });
    expect(await deliverNotification(deps, { notificationId: failed })).toEqual({
      outcome: 'skipped',
      reason: 'failed: smtp 550: gone',
    });
    expect((await emailState(db(), failed))?.emailStatus).toBe('failed');
    expect(sink.dataStarted).toBe(0);
  });

  it('completes without sending when the notification was deleted before its job ran', async () => {
    const job = await tw.addDelivery(randomUUID());
    expect(await tw.finished(job)).toEqual({
      outcome: 'skipped',
      reason: 'notification-not-found',
    });
    expect(sink.dataStarted).toBe(0);
  });
});
