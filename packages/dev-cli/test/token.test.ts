import { createVerifier } from 'fast-jwt';
import { DEVELOPMENT_JWT_SECRET } from '@conveyor/service-kit/auth-config';
import { describe, expect, it } from 'vitest';
import { lastLine, runToEnd, tokenEntry } from './helpers/entry-points.js';

const verifyWith =
  (key: string) =>
  (token: string): Record<string, unknown> =>
    createVerifier({ key, algorithms: ['HS256'] })(token) as Record<string, unknown>;

describe('pnpm token', () => {
  it('prints on its last line a token that the development secret verifies, with the given claims', async () => {
    const before = Math.floor(Date.now() / 1000);
    const result = await runToEnd(tokenEntry, [
      '--sub',
      'u1',
      '--role',
      'CREATOR',
      '--email',
      'u1@conveyor.test',
      '--name',
      'User One',
      '--ttl',
      '120',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const claims = verifyWith(DEVELOPMENT_JWT_SECRET)(lastLine(result.stdout));
    expect(claims).toMatchObject({
      sub: 'u1',
      role: 'CREATOR',
      email: 'u1@conveyor.test',
      name: 'User One',
    });
    expect(claims.exp).toBeGreaterThanOrEqual(before + 120);
    expect(claims.exp).toBeLessThanOrEqual(before + 125);
  });

  it('signs with JWT_SECRET when it is set, so the token fits a system with its own secret', async () => {
    const secret = 'a-test-secret-that-is-long-enough-for-hs256';
    const result = await runToEnd(tokenEntry, ['--sub', 'u2', '--role', 'ADMIN'], {
      JWT_SECRET: secret,
    });
    expect(result.code).toBe(0);
    expect(verifyWith(secret)(lastLine(result.stdout))).toMatchObject({ sub: 'u2', role: 'ADMIN' });
    expect(() => verifyWith(DEVELOPMENT_JWT_SECRET)(lastLine(result.stdout))).toThrow();
  });

  it('exits with code 2 and names the accepted roles when the role is unknown', async () => {
    const result = await runToEnd(tokenEntry, ['--sub', 'u1', '--role', 'OWNER']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--role must be one of ADMIN, CREATOR, BRAND, VIEWER');
  });

  it('refuses to sign with the development secret in production, with exit code 1', async () => {
    const result = await runToEnd(tokenEntry, ['--sub', 'u1', '--role', 'ADMIN'], {
      NODE_ENV: 'production',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/refused.*\n.*JWT_SECRET: is the development secret/);
  });
});
