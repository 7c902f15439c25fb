import { fileURLToPath } from 'node:url';
import { createDb } from '@conveyor/db/client';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { enqueueDeliveries } from '@conveyor/notifications/delivery-jobs';
import { createProducer } from '@conveyor/queue-contracts/producer';
import { freePort, waitUntil } from '@conveyor/test-harness/ports';
import { startEntryPoint } from '@conveyor/test-harness/processes';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotification, createUser, emailState } from '@conveyor/notifications/testing';
import { createSmtpSink, type SmtpSink } from '@conveyor/test-harness/smtp';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let database: TestDatabase;
let sink: SmtpSink;

beforeAll(async () => {
  database = await createTestDatabase();
  sink = await createSmtpSink();
});
afterAll(async () => {
  await sink.stop();
  await database.drop();
});

describe('main', () => {
  it('exits with the name of each bad variable when the config is invalid', async () => {
    const worker = startEntryPoint(
      entry,
      { SMTP_URL: 'http://mail', DELIVERY_CONCURRENCY: '0' },
      { cwd: appDir },
    );
    const code = await new Promise<number | null>((resolve) => worker.child.once('exit', resolve));
    expect(code).toBe(1);
    expect(worker.output()).toContain('SMTP_URL:');
    expect(worker.output()).toContain('DELIVERY_CONCURRENCY:');
  });

  it('starts, is ready on PORT, delivers a notification and exits cleanly on SIGTERM', async () => {
    const port = await freePort();
    const prefix = testPrefix();
    const worker = startEntryPoint(
      entry,
      {
        REDIS_URL: defaultTestRedisUrl,
        DATABASE_URL: database.url,
        BULL_PREFIX: prefix,
        SMTP_URL: sink.url,
        PORT: String(port),
        LOG_LEVEL: 'info',
        NODE_ENV: 'test',
      },
      { cwd: appDir },
    );
    const db = createDb(database.url, { max: 1 });
    const producer = createProducer({
      connection: { host: '127.0.0.1', port: 6379 },
      prefix,
    });
    try {
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
        timeoutMs: 20_000,
        what: `the worker to be ready on ${port}`,
      }).catch((error: Error) => {
        throw new Error(`${error.message}; it printed:\n${worker.output()}`);
      });
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(await ready.json()).toEqual({
        status: 'ready',
        checks: { postgres: 'up', redis: 'up' },
      });

      const user = await createUser(db.db);
      const id = await createNotification(db.db, { userId: user.id });
      expect((await enqueueDeliveries(producer, [id])).error).toBeUndefined();
      await sink.waitForMessages(1);
      await waitUntil(async () => (await emailState(db.db, id))?.emailStatus === 'sent', {
        what: 'the row to be marked sent',
      });
    } finally {
      await producer.close();
      await db.close();
      expect(await worker.stop()).toBe(0);
      await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
    }
    expect(worker.output()).toContain('delivery worker started');
    expect(worker.output()).toContain('"signal":"SIGTERM"');
  });
});
