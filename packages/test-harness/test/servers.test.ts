import { Redis } from 'ioredis';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { freePort, waitUntil } from '../src/ports.js';
import { startPrivatePostgres, startPrivateRedis } from '../src/servers.js';

async function redisPing(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
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

async function postgresAnswers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 1, onnotice: () => undefined });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

describe('private servers', () => {
  it('start a Redis of their own on a free port that can be stopped and started again', async () => {
    const server = await startPrivateRedis();
    try {
      expect(server.port).not.toBe(6379);
      expect(await redisPing(server.url)).toBe(true);
      await server.stop();
      expect(await redisPing(server.url)).toBe(false);
      await server.start();
      expect(await redisPing(server.url)).toBe(true);
    } finally {
      await server.destroy();
    }
  });

  it('start a PostgreSQL of their own on a free port that can be stopped and started again', async () => {
    const server = await startPrivatePostgres();
    try {
      expect(server.port).not.toBe(5432);
      expect(await postgresAnswers(server.url)).toBe(true);
      await server.stop();
      expect(await postgresAnswers(server.url)).toBe(false);
      await server.start();
      expect(await postgresAnswers(server.url)).toBe(true);
    } finally {
      await server.destroy();
    }
  }, 60_000);
});

describe('ports', () => {
  it('finds a port nothing listens on', async () => {
    const port = await freePort();
    expect(await redisPing(`redis://127.0.0.1:${port}`)).toBe(false);
  });

  it('waits until a condition holds, and says what it waited for when it never does', async () => {
    let calls = 0;
    await waitUntil(() => ++calls >= 3, { intervalMs: 1 });
    expect(calls).toBe(3);
    await expect(waitUntil(() => false, { timeoutMs: 50, what: 'the moon' })).rejects.toThrow(
      /the moon/,
    );
  });
});
