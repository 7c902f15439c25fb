import { freePort } from '@conveyor/test-harness/ports';
import { startPrivateRedis } from '@conveyor/test-harness/servers';
import { describe, expect, it } from 'vitest';
import { missingDependencies, postgresAnswers, redact, redisAnswers } from '../src/dependencies.js';
import { createRedis, whenReady } from '../src/redis.js';

describe('dependency checks', () => {
  it('finds the development Redis and PostgreSQL', async () => {
    expect(
      await missingDependencies({
        redisUrl: 'redis://127.0.0.1:6379',
        databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      }),
    ).toEqual([]);
  });

  it('names each missing dependency and how to start it, within two seconds', async () => {
    const port = await freePort();
    const started = Date.now();
    const lines = await missingDependencies({
      redisUrl: `redis://127.0.0.1:${port}`,
      databaseUrl: `postgres://postgres:secret@127.0.0.1:${port}/conveyor`,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Redis does not answer at redis:\/\/127\.0\.0\.1:\d+.*redis-server/);
    expect(lines[1]).toMatch(/^PostgreSQL does not answer at .*pg_ctlcluster/);
    expect(lines[1]).not.toContain('secret');
  });

  it('counts a server without the named database as answering', async () => {
    expect(
      await postgresAnswers('postgres://postgres@127.0.0.1:5432/conveyor_does_not_exist'),
    ).toBe(true);
  });

  it('hides passwords in printed URLs', () => {
    expect(redact('postgres://user:pw@host:5432/db')).toBe('postgres://user:***@host:5432/db');
  });
});

describe('request-path Redis connections', () => {
  it('fail within a second while Redis is down and recover by themselves when it returns', async () => {
    const server = await startPrivateRedis();
    const redis = createRedis(server.url, 'request');
    redis.on('error', () => undefined);
    try {
      expect(await whenReady(redis)).toBe(true);
      await server.stop();
      const started = Date.now();
      await expect(redis.ping()).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await redisAnswers(server.url)).toBe(false);

      await server.start();
      expect(await whenReady(redis, 5_000)).toBe(true);
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
      await server.destroy();
    }
  });
});
