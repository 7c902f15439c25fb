import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import * as schema from './schema.js';

/** Column names are snake_case in SQL and camelCase in TypeScript; drizzle.config.ts says the same. */
export const casing = 'snake_case' as const;

export type Database = PostgresJsDatabase<typeof schema>;

export interface DbHandle {
  db: Database;
  /** The raw postgres.js client, for SQL drizzle does not express well. */
  sql: Sql;
  close: () => Promise<void>;
}

export interface DbOptions {
  /** Connections in the pool. @defaultValue 10 */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
  /** Seconds to wait for a connection before the query fails. @defaultValue 5 */
  connectTimeoutSeconds?: number;
}

export function createDb(url: string, options: DbOptions = {}): DbHandle {
  const sql = postgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 30,
    onnotice: () => undefined,
    connection: options.applicationName ? { application_name: options.applicationName } : {},
  });
  const db = drizzle({ client: sql, schema, casing });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}
