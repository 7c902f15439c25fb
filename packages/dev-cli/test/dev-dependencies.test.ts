import { freePort } from '@conveyor/test-harness/ports';
import { describe, expect, it } from 'vitest';
import { devEntry, runToEnd } from './helpers/entry-points.js';

// Nothing listens on a port freePort() just handed out, so each dependency "does not answer".
describe('pnpm dev without its dependencies', () => {
  it('exits 1 at once with one line that names Redis and how to start it', async () => {
    const port = await freePort();
    const result = await runToEnd(devEntry, [], { REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`Redis does not answer at redis://127.0.0.1:${port}`);
    expect(lines[0]).toContain('redis-server');
  });

  it('exits 1 at once with one line that names PostgreSQL and how to start it', async () => {
    const port = await freePort();
    const result = await runToEnd(devEntry, [], {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/conveyor`,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `PostgreSQL does not answer at postgres://postgres@127.0.0.1:${port}/conveyor`,
    );
    expect(lines[0]).toContain('start it with');
  });
});
