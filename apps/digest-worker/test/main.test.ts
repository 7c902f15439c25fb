import { fileURLToPath } from 'node:url';
import { createDb, type DbHandle } from '@conveyor/db/client';
import { digestDeliveries } from '@conveyor/db/schema';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { allNotificationTypes } from '@conveyor/notifications/model';
import { createNotification, createUser } from '@conveyor/notifications/testing';
import { createProducer } from '@conveyor/queue-contracts/producer';
import { freePort, waitUntil } from '@conveyor/test-harness/ports';
import { startEntryPoint, type RunningProcess } from '@conveyor/test-harness/processes';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { createSmtpSink, type SmtpSink } from '@conveyor/test-harness/smtp';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let database: TestDatabase;
let handle: DbHandle;
let sink: SmtpSink;

beforeAll(async () => {
  database = await createTestDatabase();
  handle = createDb(database.url, { max: 3 });
  sink = await createSmtpSink();
});
afterAll(async () => {
  await sink.stop();
  await handle.close();
  await database.drop();
});

/**
 * A fixed-offset zone whose local 09:00 falls in the current UTC hour, so the real clock of a
 * worker process makes its users due now (`Etc/GMT-9` is UTC+9: POSIX signs are inverted).
 */
function zoneDueNow(now = new Date()): string {
  const offset = ((((9 - now.getUTCHours() + 12) % 24) + 24) % 24) - 12;
  if (offset === 0) return 'UTC';
  return `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

function startWorker(env: Record<string, string>): RunningProcess {
  return startEntryPoint(
    entry,
    {
      REDIS_URL: defaultTestRedisUrl,
      DATABASE_URL: database.url,
      SMTP_URL: sink.url,
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      ...env,
    },
    { cwd: appDir },
  );
}

describe('main', () => {
  it('exits with the name of each bad variable when the config is invalid', async () => {
    const worker = startEntryPoint(
      entry,
      { DIGEST_CHUNK_SIZE: '0', CLAIM_LEASE_SECONDS: '1' },
      { cwd: appDir },
    );
    const code = await new Promise<number | null>((resolve) => worker.child.once('exit', resolve));
    expect(code).toBe(1);
    expect(worker.output()).toContain('DIGEST_CHUNK_SIZE:');
    expect(worker.output()).toContain('CLAIM_LEASE_SECONDS:');
  });

  it('never sends a second digest after a worker is killed between the relay’s 250 and its mark', async () => {
    // The zone is due in this UTC hour only: start in the next one if this one is ending.
    const untilNextHour = 3_600_000 - (Date.now() % 3_600_000);
    if (untilNextHour < 120_000)
      await new Promise((resolve) => setTimeout(resolve, untilNextHour + 1_000));
    const prefix = testPrefix();
    const user = await createUser(handle.db, {
      email: 'killed@example.test',
      preferences: {
        digestFrequency: 'DAILY',
        emailEnabled: true,
        enabledTypes: [...allNotificationTypes],
        timezone: zoneDueNow(),
      },
    });
    await createNotification(handle.db, {
      userId: user.id,
      createdAt: new Date(Date.now() - 2 * 3_600_000),
    });

    // Hold the user's preferences row: the mark (which also sets lastDigestSentAt) waits on it
    // after the relay has accepted the mail, which is where the worker is killed.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const lock = handle.sql.begin(async (tx) => {
      await tx`select 1 from notification_preferences where user_id = ${user.id} for update`;
      await held;
      throw new Error('rollback');
    });
    lock.catch(() => undefined);

    const env = {
      BULL_PREFIX: prefix,
      SMTP_TIMEOUT_MS: '500',
      CLAIM_LEASE_SECONDS: '2',
    };
    const first = startWorker({ ...env, PORT: String(await freePort()) });
    let second: RunningProcess | undefined;
    const producer = createProducer({ connection: { host: '127.0.0.1', port: 6379 }, prefix });
    try {
      await sink.waitForMessages(1, 30_000).catch((error: Error) => {
        throw new Error(`${error.message}; the worker printed:\n${first.output()}`);
      });
      await waitUntil(
        async () =>
          (
            await handle.sql`select 1 from pg_stat_activity
              where application_name = 'digest-worker' and wait_event_type = 'Lock'`
          ).length === 1,
        { what: 'the mark to wait on the held row' },
      );
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first.child.once('exit', resolve));
      // A killed client's statement would still run once the lock goes: end its sessions first.
      await handle.sql`select pg_terminate_backend(pid) from pg_stat_activity
        where application_name = 'digest-worker' and datname = current_database()`;
      release();
      await lock.catch(() => undefined);
      const [stuck] = await handle.db.select().from(digestDeliveries);
      expect(stuck).toMatchObject({ status: 'sending', attempts: 1 });

      // Another worker comes up; once the lease has passed, a tick settles the row.
      second = startWorker({ ...env, PORT: String(await freePort()) });
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await producer.enqueue('digest.tick', {}, { jobId: 'tick-after-lease' });
      await waitUntil(
        async () => (await handle.db.select().from(digestDeliveries))[0]?.status === 'failed',
        { timeoutMs: 20_000, what: 'the interrupted digest to be settled' },
      ).catch((error: Error) => {
        throw new Error(`${error.message}; the worker printed:\n${second?.output() ?? ''}`);
      });
      const [settled] = await handle.db.select().from(digestDeliveries);
      expect(settled?.reason).toMatch(/^interrupted/);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(sink.to('killed@example.test')).toHaveLength(1);
      expect(
        await handle.db.execute(sql`select count(*)::int as n from ${digestDeliveries}`),
      ).toEqual([{ n: 1 }]);
    } finally {
      release();
      await producer.close();
      if (second) expect(await second.stop()).toBe(0);
      await first.stop(100);
      await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
    }
    expect(second?.output()).toContain('digest worker started');
    expect(second?.output()).toContain('"signal":"SIGTERM"');
  }, 180_000);
});
