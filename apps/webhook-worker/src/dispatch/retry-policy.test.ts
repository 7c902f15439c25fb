import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import {
  backoffDelay,
  parseRetryAfter,
  retryDelay,
  retryPolicyOf,
  type RetryPolicy,
} from './retry-policy.js';

const policy = (env: Record<string, string> = {}): RetryPolicy =>
  retryPolicyOf(loadConfig({ NODE_ENV: 'test', ...env }));

describe('retry policy', () => {
  it('defaults to spec 004: three retries, 5 s, 30 s and 3 min apart, ±20%', () => {
    const defaults = policy();
    expect(defaults).toMatchObject({ maxRetries: 3, baseMs: 5_000, factor: 6, jitter: 0.2 });
    expect([0, 1, 2].map((retry) => backoffDelay(defaults, retry, () => 0.5))).toEqual([
      5_000, 30_000, 180_000,
    ]);
    expect(backoffDelay(defaults, 0, () => 0)).toBe(4_000);
    expect(backoffDelay(defaults, 0, () => 1)).toBe(6_000);
  });

  it('waits the spelled-out delays, repeating the last one', () => {
    const spelled = policy({ WEBHOOK_RETRY_DELAYS_MS: '100,2000', WEBHOOK_RETRY_JITTER: '0' });
    expect([0, 1, 2, 5].map((retry) => backoffDelay(spelled, retry))).toEqual([
      100, 2_000, 2_000, 2_000,
    ]);
  });

  it('keeps every jittered delay within its bounds', () => {
    const jittered = policy({ WEBHOOK_RETRY_BASE_MS: '1000', WEBHOOK_RETRY_JITTER: '0.2' });
    for (let i = 0; i < 1_000; i += 1) {
      const delay = backoffDelay(jittered, 0);
      expect(delay).toBeGreaterThanOrEqual(800);
      expect(delay).toBeLessThanOrEqual(1_200);
    }
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('honours Retry-After on 429 and 503 only, capped, and never below the backoff', () => {
    const config = policy({
      WEBHOOK_RETRY_DELAYS_MS: '1000',
      WEBHOOK_RETRY_JITTER: '0',
      WEBHOOK_RETRY_AFTER_MAX_MS: '60000',
    });
    const after = (statusCode: number, retryAfter: string) =>
      retryDelay(config, { runAttempts: 1, statusCode, retryAfter }, 0);
    expect(after(429, '30')).toBe(30_000);
    expect(after(503, '30')).toBe(30_000);
    expect(after(503, '3600')).toBe(60_000);
    expect(after(503, '0')).toBe(1_000);
    expect(after(500, '30')).toBe(1_000);
  });

  it('stops once the run has had its first attempt and every retry', () => {
    const config = policy({ WEBHOOK_MAX_RETRIES: '2' });
    const failed = (runAttempts: number) =>
      retryDelay(config, { runAttempts, statusCode: 500, retryAfter: undefined }, 0);
    expect(failed(1)).not.toBeNull();
    expect(failed(2)).not.toBeNull();
    expect(failed(3)).toBeNull();
  });

  it('refuses a jitter outside 0 to 1 and malformed delay lists', () => {
    expect(() => policy({ WEBHOOK_RETRY_JITTER: '1.5' })).toThrow(/WEBHOOK_RETRY_JITTER/);
    expect(() => policy({ WEBHOOK_RETRY_DELAYS_MS: '100,soon' })).toThrow(
      /WEBHOOK_RETRY_DELAYS_MS/,
    );
  });
});
