import { Redis } from 'ioredis';
import postgres from 'postgres';

export interface DependencyUrls {
  redisUrl: string;
  databaseUrl: string;
}

/** How to start each dependency on a development machine, shown when it does not answer. */
const howToStart = {
  redis: 'start it with: redis-server --daemonize yes --port 6379 (or set REDIS_URL)',
  postgres:
    'start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or set DATABASE_URL)',
} as const;

/** Answers whether Redis replies to PING within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1_500): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Answers whether PostgreSQL accepts a connection within `timeoutMs`. A missing database
 * counts as answering: the server is up, and migrations create what they need.
 */
export async function postgresAnswers(url: string, timeoutMs = 1_500): Promise<boolean> {
  const sql = postgres(url, {
    max: 1,
    connect_timeout: Math.ceil(timeoutMs / 1000),
    onnotice: () => undefined,
  });
  try {
    await sql`select 1`;
    return true;
  } catch (error) {
    return (error as { code?: string }).code === '3D000';
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** One line per dependency that does not answer, naming it and how to start it; empty when all answer. */
export async function missingDependencies(urls: DependencyUrls): Promise<string[]> {
  const [redisUp, postgresUp] = await Promise.all([
    redisAnswers(urls.redisUrl),
    postgresAnswers(urls.databaseUrl),
  ]);
  const lines: string[] = [];
  if (!redisUp)
    lines.push(`Redis does not answer at ${redact(urls.redisUrl)}: ${howToStart.redis}`);
  if (!postgresUp) {
    lines.push(`PostgreSQL does not answer at ${redact(urls.databaseUrl)}: ${howToStart.postgres}`);
  }
  return lines;
}

/** Removes a password from a connection URL before it is printed. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Exits at once with one line per dependency that does not answer. */
export async function exitUnlessDependenciesAnswer(urls: DependencyUrls): Promise<void> {
  const missing = await missingDependencies(urls);
  if (missing.length === 0) return;
  for (const line of missing) console.error(line);
  process.exit(1);
}
