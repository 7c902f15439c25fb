import type { Config } from '../config.js';

/** When a failed attempt is tried again. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseMs: number;
  factor: number;
  /** Spelled-out delays, overriding base and factor; the last one repeats. */
  delaysMs: readonly number[] | undefined;
  /** Fraction of random spread either way of each delay (0.2: ±20%). */
  jitter: number;
  /** Longest `Retry-After` honoured. */
  retryAfterMaxMs: number;
}

export function retryPolicyOf(config: Config): RetryPolicy {
  return {
    maxRetries: config.WEBHOOK_MAX_RETRIES,
    baseMs: config.WEBHOOK_RETRY_BASE_MS,
    factor: config.WEBHOOK_RETRY_FACTOR,
    delaysMs: config.WEBHOOK_RETRY_DELAYS_MS,
    jitter: config.WEBHOOK_RETRY_JITTER,
    retryAfterMaxMs: config.WEBHOOK_RETRY_AFTER_MAX_MS,
  };
}

/**
 * The delay before retry number `retry` (0 for the first retry): the spelled-out delay or
 * `base × factor^retry`, moved by up to ±jitter at random.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random = Math.random): number {
  const spelled = policy.delaysMs;
  const planned =
    spelled && spelled.length > 0
      ? spelled[Math.min(retry, spelled.length - 1)]!
      : policy.baseMs * policy.factor ** retry;
  return Math.round(planned * (1 + policy.jitter * (2 * random() - 1)));
}

/** Statuses whose `Retry-After` says when the receiver wants to hear from us again. */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

/**
 * Milliseconds a `Retry-After` header asks to wait: delay-seconds (`120`) or an HTTP date
 * (RFC 9110 §10.2.3). Null when absent or unreadable; a date in the past asks for no wait.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  // An HTTP date names its day and month; `Date.parse` alone would read `-5` as a year.
  if (!/[a-z]/i.test(text)) return null;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * Milliseconds until the next attempt of a delivery whose attempt failed, or null when its
 * retries are spent. `runAttempts` counts this run's attempts so far, this one included. On
 * 429 and 503 the receiver's `Retry-After` is honoured (capped) when it asks for longer than
 * the backoff would wait.
 */
export function retryDelay(
  policy: RetryPolicy,
  failed: { runAttempts: number; statusCode: number | null; retryAfter: string | undefined },
  now: number,
): number | null {
  if (failed.runAttempts >= 1 + policy.maxRetries) return null;
  const backoff = backoffDelay(policy, failed.runAttempts - 1);
  if (failed.statusCode === null || !RETRY_AFTER_STATUSES.has(failed.statusCode)) return backoff;
  const asked = parseRetryAfter(failed.retryAfter, now);
  return asked === null ? backoff : Math.max(backoff, Math.min(asked, policy.retryAfterMaxMs));
}
