import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { casing } from './client.js';

/** The committed SQL migrations, beside `src/` and `dist/` alike. */
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

/** An arbitrary constant that keys the advisory lock, so concurrent migrate steps run one at a time. */
const MIGRATION_LOCK_KEY = 7_201_994_113;

/** Creates the database named in `url` when the server does not have it yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const sql = postgres(maintenance.toString(), { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) {
      await sql`create database ${sql(name)}`.catch((error: { code?: string }) => {
        // Another migrate step created it between our check and our create.
        if (error.code !== '42P04') throw error;
      });
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Brings the database at `url` to the latest migration. Idempotent: applied migrations are
 * recorded and skipped. Throws on failure, so the migrate step exits non-zero.
 */
export async function migrateDatabase(url: string): Promise<void> {
  await ensureDatabase(url);
  // One connection, so the advisory lock and the migrations share a session.
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migrate(drizzle({ client: sql, casing }), { migrationsFolder });
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
