import { ConfigError } from '@conveyor/runtime/config';
import { describe, expect, it } from 'vitest';
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

describe('the delivery worker config', () => {
  it('serves local development with its defaults', () => {
    expect(loadConfig({})).toMatchObject({
      PORT: 3101,
      HOST: '127.0.0.1',
      REDIS_URL: 'redis://127.0.0.1:6379',
      BULL_PREFIX: '{conveyor}',
      SMTP_URL: 'smtp://127.0.0.1:1025',
      SMTP_FROM: 'Conveyor <no-reply@conveyor.test>',
      SMTP_POOL_SIZE: 5,
      SMTP_TIMEOUT_MS: 10_000,
      DELIVERY_CONCURRENCY: 10,
      APP_URL: 'http://127.0.0.1:3000',
      EMAIL_ID_DOMAIN: 'conveyor.local',
      OUTBOX_GRACE_SECONDS: 30,
      CLAIM_LEASE_SECONDS: 120,
    });
  });

  it('reads every variable from the environment', () => {
    expect(
      loadConfig({
        PORT: '4101',
        SMTP_URL: 'smtps://mailer:s3cret@smtp.example.com:465',
        SMTP_FROM: 'Example <alerts@example.com>',
        SMTP_POOL_SIZE: '2',
        SMTP_TIMEOUT_MS: '5000',
        DELIVERY_CONCURRENCY: '25',
        APP_URL: 'https://app.example.com/',
        EMAIL_ID_DOMAIN: 'mail.example.com',
        OUTBOX_GRACE_SECONDS: '0',
        CLAIM_LEASE_SECONDS: '60',
      }),
    ).toMatchObject({
      PORT: 4101,
      SMTP_URL: 'smtps://mailer:s3cret@smtp.example.com:465',
      SMTP_POOL_SIZE: 2,
      SMTP_TIMEOUT_MS: 5_000,
      DELIVERY_CONCURRENCY: 25,
      // Without its trailing slash, so links join with one slash.
      APP_URL: 'https://app.example.com',
      OUTBOX_GRACE_SECONDS: 0,
      CLAIM_LEASE_SECONDS: 60,
    });
  });

  it('rejects an SMTP_URL that is not smtp: or smtps:, naming the variable', () => {
    expect(problemsOf({ SMTP_URL: 'http://127.0.0.1:1025' })).toEqual([
      'SMTP_URL: must be a URL with smtp: or smtps:',
    ]);
    expect(problemsOf({ SMTP_URL: 'not a url' })).toEqual([
      'SMTP_URL: must be a URL with smtp: or smtps:',
    ]);
  });

  it('rejects a concurrency of zero, naming the variable', () => {
    const [problem, ...rest] = problemsOf({ DELIVERY_CONCURRENCY: '0' });
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^DELIVERY_CONCURRENCY: /);
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({
      SMTP_URL: 'ftp://mail',
      SMTP_FROM: 'nobody',
      SMTP_POOL_SIZE: 'many',
      SMTP_TIMEOUT_MS: '10',
      DELIVERY_CONCURRENCY: '0',
      APP_URL: 'javascript:alert(1)',
      EMAIL_ID_DOMAIN: 'not a domain',
      OUTBOX_GRACE_SECONDS: '-1',
      CLAIM_LEASE_SECONDS: 'soon',
      PORT: '70000',
    });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'APP_URL',
      'CLAIM_LEASE_SECONDS',
      'DELIVERY_CONCURRENCY',
      'EMAIL_ID_DOMAIN',
      'OUTBOX_GRACE_SECONDS',
      'PORT',
      'SMTP_FROM',
      'SMTP_POOL_SIZE',
      'SMTP_TIMEOUT_MS',
      'SMTP_URL',
    ]);
  });

  it('refuses a claim lease a send could outlast', () => {
    expect(problemsOf({ SMTP_TIMEOUT_MS: '30000', CLAIM_LEASE_SECONDS: '60' })).toEqual([
      'CLAIM_LEASE_SECONDS: must be longer than three SMTP_TIMEOUT_MS (90 s), the longest a send can take',
    ]);
  });
});
