import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { notifications } from '@conveyor/db/schema';
import { enqueueDeliveries } from '@conveyor/notifications/delivery-jobs';
import { decideEmail } from '@conveyor/notifications/email-rules';
import {
  allNotificationTypes,
  defaultPreferences,
  type DigestFrequency,
} from '@conveyor/notifications/model';
import { waitUntil } from '@conveyor/test-harness/ports';
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWorker, type TestWorker } from '../helpers/delivery-worker.js';
import { createNotification, createUser } from '@conveyor/notifications/testing';
import { createSmtpSink, type SmtpSink } from '@conveyor/test-harness/smtp';

let database: TestDatabase;
let sink: SmtpSink;
let tw: TestWorker;

beforeAll(async () => {
  database = await createTestDatabase();
  sink = await createSmtpSink();
  tw = await startTestWorker({ databaseUrl: database.url, smtpUrl: sink.url });
});
afterAll(async () => {
  await tw.cleanup();
  await sink.stop();
  await database.drop();
});

const frequencies: DigestFrequency[] = ['IMMEDIATE', 'DAILY', 'WEEKLY', 'NEVER'];

interface Case {
  name: string;
  emailEnabled: boolean;
  digestFrequency: DigestFrequency;
  typeEnabled: boolean;
  critical: boolean;
  /** No preferences row: the spec's defaults apply. */
  defaults?: boolean;
}

const cases: Case[] = [
  ...[true, false].flatMap((emailEnabled) =>
    frequencies.flatMap((digestFrequency) =>
      [true, false].flatMap((typeEnabled) =>
        [false, true].map((critical) => ({
          name: `email ${emailEnabled ? 'on' : 'off'}, ${digestFrequency}, type ${typeEnabled ? 'enabled' : 'disabled'}${critical ? ', critical' : ''}`,
          emailEnabled,
          digestFrequency,
          typeEnabled,
          critical,
        })),
      ),
    ),
  ),
  {
    name: 'no preferences row',
    ...defaultPreferences,
    typeEnabled: true,
    critical: false,
    defaults: true,
  },
];

const expectedStatus = { send: 'sent', skip: 'skipped', digest: 'digest' } as const;

describe('the email preferences, end to end through the worker', () => {
  it('sends or skips every combination exactly as decideEmail says, and keeps every in-app notification', async () => {
    const rows = [];
    for (const testCase of cases) {
      const enabledTypes = testCase.typeEnabled
        ? [...allNotificationTypes]
        : allNotificationTypes.filter((type) => type !== 'LICENSE');
      const user = await createUser(tw.deps.db.db, {
        ...(testCase.defaults
          ? {}
          : {
              preferences: {
                emailEnabled: testCase.emailEnabled,
                digestFrequency: testCase.digestFrequency,
                enabledTypes,
              },
            }),
      });
      const id = await createNotification(tw.deps.db.db, {
        userId: user.id,
        type: 'LICENSE',
        critical: testCase.critical,
        title: testCase.name,
      });
      const decision = decideEmail(
        { type: 'LICENSE', critical: testCase.critical },
        {
          emailEnabled: testCase.emailEnabled,
          digestFrequency: testCase.digestFrequency,
          enabledTypes,
        },
      );
      rows.push({ testCase, id, email: user.email!, decision });
    }

    const { enqueued, error } = await enqueueDeliveries(
      tw.producer,
      rows.map((row) => row.id),
      { requestId: 'req-matrix' },
    );
    expect(error).toBeUndefined();
    expect(enqueued).toBe(cases.length);

    const ids = rows.map((row) => row.id);
    const settled = async () =>
      tw.deps.db.db
        .select({
          id: notifications.id,
          emailStatus: notifications.emailStatus,
          emailReason: notifications.emailReason,
          read: notifications.read,
        })
        .from(notifications)
        .where(inArray(notifications.id, ids));
    await waitUntil(
      async () =>
        (await settled()).every((row) => !['pending', 'sending'].includes(row.emailStatus)),
      { what: 'every delivery settled', timeoutMs: 20_000 },
    );
    const byId = new Map((await settled()).map((row) => [row.id, row]));

    const actual = rows.map(({ testCase, id, email }) => ({
      case: testCase.name,
      status: byId.get(id)?.emailStatus,
      reason: byId.get(id)?.emailReason,
      mails: sink.to(email).length,
    }));
    const expected = rows.map(({ testCase, decision }) => ({
      case: testCase.name,
      status: expectedStatus[decision.action],
      reason: decision.action === 'send' ? null : decision.reason,
      mails: decision.action === 'send' ? 1 : 0,
    }));
    expect(actual).toEqual(expected);

    // The table is the rules', not a copy of the code under test: spot checks from the spec.
    const outcome = (name: string) => actual.find((row) => row.case === name);
    expect(outcome('email off, IMMEDIATE, type enabled')).toMatchObject({
      status: 'skipped',
      reason: 'email-disabled',
    });
    expect(outcome('email on, NEVER, type enabled')).toMatchObject({
      status: 'skipped',
      reason: 'digest-never',
    });
    expect(outcome('email on, DAILY, type enabled')).toMatchObject({ status: 'digest', mails: 0 });
    expect(outcome('email on, IMMEDIATE, type disabled')).toMatchObject({
      status: 'skipped',
      reason: 'type-disabled',
    });
    expect(outcome('email off, NEVER, type disabled, critical')).toMatchObject({
      status: 'sent',
      mails: 1,
    });
    expect(outcome('no preferences row')).toMatchObject({ status: 'sent', mails: 1 });

    // In-app notifications are never touched by the email's fate.
    expect(byId.size).toBe(cases.length);
    expect([...byId.values()].every((row) => row.read === false)).toBe(true);
    expect(sink.messages).toHaveLength(expected.filter((row) => row.mails === 1).length);
  });
});
