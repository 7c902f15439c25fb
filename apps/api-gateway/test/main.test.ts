import { fileURLToPath } from 'node:url';
import { freePort, waitUntil } from '@conveyor/test-harness/ports';
import { defaultTestRedisUrl } from '@conveyor/test-harness/redis';
import { startEntryPoint } from '@conveyor/test-harness/processes';
import { describe, expect, test } from 'vitest';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('main', () => {
  test('exits at once with one clear line when Redis does not answer', async () => {
    const started = Date.now();
    const gateway = startEntryPoint(
      entry,
      { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, PORT: String(await freePort()) },
      { cwd: appDir },
    );
    const code = await new Promise<number | null>((resolve) => gateway.child.once('exit', resolve));
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    const lines = gateway.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^Redis does not answer at redis:\/\/127\.0\.0\.1:\d+.*: start it with: redis-server/,
    );
  });

  test('exits with the name of each bad variable when the config is invalid', async () => {
    const gateway = startEntryPoint(
      entry,
      { PORT: 'abc', NOTIFICATIONS_URL: 'nope' },
      { cwd: appDir },
    );
    const code = await new Promise<number | null>((resolve) => gateway.child.once('exit', resolve));
    expect(code).toBe(1);
    expect(gateway.output()).toContain('PORT:');
    expect(gateway.output()).toContain('NOTIFICATIONS_URL:');
  });

  test('starts, serves /healthz on PORT and shuts down cleanly on SIGTERM', async () => {
    const port = await freePort();
    const gateway = startEntryPoint(
      entry,
      { REDIS_URL: defaultTestRedisUrl, PORT: String(port), LOG_LEVEL: 'warn', NODE_ENV: 'test' },
      { cwd: appDir },
    );
    try {
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, {
        timeoutMs: 15_000,
        what: `the gateway to serve /healthz on ${port}`,
      }).catch((error: Error) => {
        throw new Error(`${error.message}; it printed:\n${gateway.output()}`);
      });
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(await ready.json()).toMatchObject({ checks: { redis: 'up' } });
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
  });
});
