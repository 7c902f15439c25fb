import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { freePort } from '@conveyor/test-harness/ports';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/client.js';
import { migrateDatabase } from '../src/migrate.js';
import { demoUsers, seedDemoData } from '../src/seed.js';
import { users } from '../src/schema.js';
import { createTestDatabase } from '../src/testing.js';

const server = 'postgres://postgres@127.0.0.1:5432';
const created: string[] = [];

afterAll(async () => {
  const sql = postgres(`${server}/postgres`, { max: 1, onnotice: () => undefined });
  for (const name of created) await sql`drop database if exists ${sql(name)} with (force)`;
  await sql.end();
});

const runCli = (script: string, env: Record<string, string>) =>
  spawnSync(
    process.execPath,
    ['--conditions=@conveyor/source', '--import', 'tsx', `src/${script}`],
    {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    },
  );

describe('migrations', () => {
  it('create the database when missing, apply every migration, and change nothing the second time', async () => {
    const name = `conveyor_migrate_${randomUUID().slice(0, 8)}`;
    created.push(name);
    const url = `${server}/${name}`;
    await migrateDatabase(url);
    await migrateDatabase(url);
    const sql = postgres(url, { max: 1 });
    const tables = await sql<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = 'public' order by 1`;
    const [applied] = await sql<
      { count: number }[]
    >`select count(*)::int as count from drizzle.__drizzle_migrations`;
    await sql.end();
    expect(tables.map((row) => row.table_name)).toEqual(
      expect.arrayContaining(['job_runs', 'users']),
    );
    expect(applied?.count).toBeGreaterThanOrEqual(1);
  });

  it('exits 0 from the migrate command on success and non-zero when the server is unreachable', async () => {
    const name = `conveyor_migrate_${randomUUID().slice(0, 8)}`;
    created.push(name);
    const ok = runCli('migrate-cli.ts', { DATABASE_URL: `${server}/${name}` });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('migrations applied');
    const failed = runCli('migrate-cli.ts', {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/x`,
    });
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain('migration failed');
  });
});

describe('seed', () => {
  it('inserts one demo user per role and is idempotent', async () => {
    const database = await createTestDatabase();
    const handle = createDb(database.url, { max: 1 });
    try {
      await seedDemoData(handle.db);
      await seedDemoData(handle.db);
      const rows = await handle.db.select().from(users);
      expect(rows).toHaveLength(demoUsers.length);
      expect(new Set(rows.map((row) => row.role))).toEqual(
        new Set(['ADMIN', 'CREATOR', 'BRAND', 'VIEWER']),
      );
    } finally {
      await handle.close();
      await database.drop();
    }
  });
});

describe('test databases', () => {
  it('are migrated clones that are independent of each other', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    const first = createDb(a.url, { max: 1 });
    const second = createDb(b.url, { max: 1 });
    try {
      await first.db.insert(users).values({ id: 'only-in-a', role: 'VIEWER' });
      expect(await first.db.select().from(users)).toHaveLength(1);
      expect(await second.db.select().from(users)).toHaveLength(0);
    } finally {
      await Promise.all([first.close(), second.close()]);
      await Promise.all([a.drop(), b.drop()]);
    }
  });
});
