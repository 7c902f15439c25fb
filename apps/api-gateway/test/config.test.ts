import { ConfigError } from '@conveyor/runtime/config';
import { DEVELOPMENT_JWT_SECRET } from '@conveyor/service-kit/auth-config';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('config', () => {
  test('an empty environment gives the documented development defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      NODE_ENV: 'development',
      REDIS_URL: 'redis://127.0.0.1:6379',
      NOTIFICATIONS_URL: 'http://127.0.0.1:3001',
      ADMIN_JOBS_URL: 'http://127.0.0.1:3002',
      WEBHOOKS_URL: 'http://127.0.0.1:3003',
      CORS_ORIGINS: [],
      RATE_LIMIT_SCALE: 1,
      RATE_LIMIT_ON_REDIS_DOWN: 'open',
      RATE_LIMIT_DEFAULT_READ: 300,
      RATE_LIMIT_DEFAULT_WRITE: 60,
      UPSTREAM_TIMEOUT_MS: 30_000,
      LONG_POLL_MAX_MS: 65_000,
      JWT_SECRET: DEVELOPMENT_JWT_SECRET,
    });
  });

  test('DATABASE_URL is neither required nor read: the gateway has no database', () => {
    expect(loadConfig({ DATABASE_URL: 'not a url' })).not.toHaveProperty('DATABASE_URL');
  });

  test('values are parsed from text', () => {
    const config = loadConfig({
      PORT: '8080',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      RATE_LIMIT_SCALE: '1000',
      RATE_LIMIT_ON_REDIS_DOWN: 'closed',
      NOTIFICATIONS_URL: 'http://notifications:3001/',
    });
    expect(config).toMatchObject({
      PORT: 8080,
      CORS_ORIGINS: ['https://app.example.com', 'http://localhost:5173'],
      RATE_LIMIT_SCALE: 1000,
      RATE_LIMIT_ON_REDIS_DOWN: 'closed',
      NOTIFICATIONS_URL: 'http://notifications:3001',
    });
  });

  test('a bad upstream URL is refused with a message naming the variable', () => {
    expect(problemsOf({ NOTIFICATIONS_URL: 'not a url' })).toEqual([
      expect.stringMatching(/^NOTIFICATIONS_URL: must be a URL/),
    ]);
    expect(problemsOf({ ADMIN_JOBS_URL: 'ftp://admin:21' })).toEqual([
      'ADMIN_JOBS_URL: must use http: or https:',
    ]);
    expect(problemsOf({ WEBHOOKS_URL: 'http://webhooks:3003/api' })).toEqual([
      expect.stringMatching(/^WEBHOOKS_URL: must be an origin without a path/),
    ]);
  });

  test('a bad port is refused with a message naming the variable', () => {
    expect(problemsOf({ PORT: '70000' })).toEqual([expect.stringMatching(/^PORT: /)]);
    expect(problemsOf({ PORT: 'http' })).toEqual([expect.stringMatching(/^PORT: /)]);
  });

  test('production with the development JWT secret is refused', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      expect.stringMatching(/^JWT_SECRET: is the development secret/),
    ]);
    expect(
      loadConfig({
        NODE_ENV: 'production',
        JWT_SECRET: 'a-real-identity-provider-secret-0123456789',
      }).NODE_ENV,
    ).toBe('production');
  });

  test('every bad variable is named at once', () => {
    const problems = problemsOf({
      REDIS_URL: 'http://redis:6379',
      CORS_ORIGINS: 'https://ok.example, *',
      RATE_LIMIT_SCALE: '0',
      RATE_LIMIT_ON_REDIS_DOWN: 'maybe',
      RATE_LIMIT_DEFAULT_READ: '-5',
      BODY_LIMIT_BYTES: '10',
    });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'BODY_LIMIT_BYTES',
      'CORS_ORIGINS',
      'RATE_LIMIT_DEFAULT_READ',
      'RATE_LIMIT_ON_REDIS_DOWN',
      'RATE_LIMIT_SCALE',
      'REDIS_URL',
    ]);
  });
});
