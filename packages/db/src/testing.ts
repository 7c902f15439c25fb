import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import postgres from 'postgres';
import { migrateDatabase, migrationsFolder } from './migrate.js';

/**
 * Test databases: the migrations run once into a template named after their content hash, and
 * every test file gets a `CREATE DATABASE … TEMPLATE` clone of it, which takes milliseconds.
 */

/** The server the test databases live on. @defaultValue the local development server */
export const defaultTestServerUrl = 'postgres://postgres@127.0.0.1:5432/postgres';

async function migrationsHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = (await readdir(migrationsFolder, { recursive: true })).sort();
  for (const file of files) {
    if (!file.endsWith('.sql')) continue;
    hash.update(file).update(await readFile(`${migrationsFolder}/${file}`));
  }
  return hash.digest('hex').slice(0, 12);
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Migrates the template database once per migration set; safe to call from parallel runs. */
export async function prepareTemplate(serverUrl = defaultTestServerUrl): Promise<string> {
  const name = `conveyor_template_${await migrationsHash()}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin`select pg_advisory_lock(hashtext(${name}))`;
    const [row] = await admin<{ datistemplate: boolean }[]>`
      select datistemplate from pg_database where datname = ${name}`;
    if (!row?.datistemplate) {
      if (row) await admin`drop database ${admin(name)}`;
      await migrateDatabase(databaseUrl(serverUrl, name));
      await admin`update pg_database set datistemplate = true where datname = ${name}`;
    }
    await admin`select pg_advisory_unlock(hashtext(${name}))`;
    return name;
  } finally {
    await admin.end({ timeout: 5 });
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  drop: () => Promise<void>;
}

/** A fresh, migrated database of one's own, cloned from the template. */
export async function createTestDatabase(serverUrl = defaultTestServerUrl): Promise<TestDatabase> {
  const template = await prepareTemplate(serverUrl);
  const name = `conveyor_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin`create database ${admin(name)} template ${admin(template)}`;
  } finally {
    await admin.end({ timeout: 5 });
  }
  return {
    name,
    url: databaseUrl(serverUrl, name),
    drop: async () => {
      const dropper = postgres(serverUrl, { max: 1, onnotice: () => undefined });
      try {
        await dropper`drop database if exists ${dropper(name)} with (force)`;
      } finally {
        await dropper.end({ timeout: 5 });
      }
    },
  };
}
