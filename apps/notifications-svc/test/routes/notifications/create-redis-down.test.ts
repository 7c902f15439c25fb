import { notifications, users } from '@conveyor/db/schema';
import { bearer, createTestDeps, testToken, type TestDeps } from '@conveyor/service-kit/testing';
import { freePort } from '@conveyor/test-harness/ports';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { loadConfig, type Config } from '../../../src/config.js';

let deps: TestDeps<Config>;
let app: Awaited<ReturnType<typeof buildApp>>;
const logged: { level: number; msg: string; count?: number }[] = [];

beforeAll(async () => {
  // Nothing listens on this port: every Redis command fails at once.
  deps = await createTestDeps(loadConfig, { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => logged.push(JSON.parse(line)) },
  );
  app = await buildApp({ ...deps, logger });
  await deps.db.db.insert(users).values({ id: 'dana', role: 'CREATOR' });
});
afterAll(async () => {
  await app.close();
  await deps.cleanup();
});

describe('POST /api/notifications while Redis is unreachable', () => {
  it('commits the rows as pending, logs a warning and still answers 201', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/notifications',
      headers: bearer(testToken('root', 'ADMIN')),
      payload: { userId: 'dana', type: 'SYSTEM', title: 'Queued later', message: 'by the sweeper' },
    });
    expect(response.statusCode).toBe(201);
    const { data } = response.json();
    expect(data).toStrictEqual({ count: 1, ids: [expect.any(String)] });
    const [row] = await deps.db.db
      .select()
      .from(notifications)
      .where(eq(notifications.id, data.ids[0]));
    expect(row).toMatchObject({ userId: 'dana', emailStatus: 'pending' });
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 40,
        count: 1,
        msg: 'delivery jobs not enqueued; the outbox sweeper will enqueue them',
      }),
    );
  });
});
