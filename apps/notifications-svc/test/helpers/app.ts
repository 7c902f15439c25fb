import type { Role } from '@conveyor/service-kit/claims';
import { bearer, createTestDeps, testToken, type TestDeps } from '@conveyor/service-kit/testing';
import { notifications, users } from '@conveyor/db/schema';
import { deleteKeysWithPrefix, testPrefix } from '@conveyor/test-harness/redis';
import type { InjectOptions } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';

export type App = Awaited<ReturnType<typeof buildApp>>;

export interface TestApp {
  app: App;
  deps: TestDeps<Config>;
  /** The BullMQ prefix of this test file, deleted by `close`. */
  prefix: string;
  close: () => Promise<void>;
}

/** The app on a database of its own and a BullMQ prefix of its own. */
export async function startApp(): Promise<TestApp> {
  const prefix = testPrefix();
  const deps = await createTestDeps(loadConfig, { BULL_PREFIX: prefix });
  const app = await buildApp(deps);
  return {
    app,
    deps,
    prefix,
    close: async () => {
      await app.close();
      await deleteKeysWithPrefix(deps.config.REDIS_URL, prefix);
      await deps.cleanup();
    },
  };
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Requests as one user: `as(app, 'alice').get('/api/notifications')`. */
export function as(app: App, sub: string, role: Role = 'VIEWER') {
  const headers = bearer(testToken(sub, role));
  const send = (method: Method, url: string, body?: unknown) =>
    app.inject({
      method,
      url,
      headers,
      ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
    });
  return {
    get: (url: string) => send('GET', url),
    post: (url: string, body?: unknown) => send('POST', url, body),
    patch: (url: string, body?: unknown) => send('PATCH', url, body),
    delete: (url: string) => send('DELETE', url),
  };
}

export async function seedUsers(deps: TestDeps<Config>, ...rows: { id: string; role?: Role }[]) {
  await deps.db.db
    .insert(users)
    .values(rows.map((row) => ({ id: row.id, role: row.role ?? 'VIEWER' })))
    .onConflictDoNothing();
}

export type NotificationSeed = Partial<typeof notifications.$inferInsert>;

/** Inserts a user's notifications directly; titles default to `n<index>`. */
export async function seedNotifications(
  deps: TestDeps<Config>,
  userId: string,
  rows: NotificationSeed[],
): Promise<string[]> {
  await seedUsers(deps, { id: userId });
  const inserted = await deps.db.db
    .insert(notifications)
    .values(
      rows.map((row, index) => ({
        type: 'SYSTEM' as const,
        title: `n${index}`,
        message: `message ${index}`,
        ...row,
        userId,
      })),
    )
    .returning({ id: notifications.id });
  return inserted.map((row) => row.id);
}

/** A timestamp `minutes` before a fixed instant, for fixtures that need a known order. */
export const minutesAgo = (minutes: number) =>
  new Date(Date.UTC(2025, 9, 18, 12, 0, 0) - minutes * 60_000);

/** The body of `GET /api/notifications`, for typed reads of `response.json<ListBody>()`. */
export interface ListBody {
  success: true;
  data: {
    id: string;
    type: string;
    title: string;
    message: string;
    actionUrl: string | null;
    priority: string;
    read: boolean;
    readAt: string | null;
    metadata: Record<string, unknown> | null;
    createdAt: string;
  }[];
  pagination: { page: number; pageSize: number; total: number; totalPages: number };
}

/** The error envelope, for typed reads of `response.json<ErrorBody>()`. */
export interface ErrorBody {
  success: false;
  error: string;
  details?: { path: string; message: string }[];
}
