import {
  checkUrlBeforeConnect,
  createCheckedLookup,
  isAddressRefused,
  type ConnectCheck,
} from '@conveyor/url-guard/connect';
import type { TargetPolicy } from '@conveyor/url-guard/target';
import { Agent, request } from 'undici';
import { readResponseBody, storableText } from './response-body.js';

/** Why an attempt got no usable answer, as `webhook_attempts.error_class` records it. */
export type ErrorClass =
  'timeout' | 'connection' | 'address_refused' | 'invalid_url' | 'redirect' | 'http_status';

/** What one HTTP attempt came to. */
export interface AttemptResult {
  requestedAt: Date;
  /** When the attempt ended, epoch milliseconds. */
  endedAt: number;
  durationMs: number;
  /** The response's status; null when none came. */
  statusCode: number | null;
  /** Null for a 2xx. */
  errorClass: ErrorClass | null;
  /** What went wrong, for `last_error`; null for a 2xx. */
  error: string | null;
  /** The first bytes of the response body, as text. */
  responseBody: string | null;
  /** The response's `Retry-After` header. */
  retryAfter: string | undefined;
}

export interface OutgoingRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

const errorClassOfStatus = (status: number): ErrorClass | null =>
  status >= 200 && status < 300 ? null : status >= 300 && status < 400 ? 'redirect' : 'http_status';

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return storableText(typeof code === 'string' ? `${code}: ${error.message}` : error.message);
}

const CHECKED_URLS_KEPT = 10_000;

export interface Sender {
  send(outgoing: OutgoingRequest): Promise<AttemptResult>;
  close(): Promise<void>;
}

/**
 * POSTs webhook requests through one connection pool whose every new connection resolves its
 * host through the SSRF-checked lookup, so a connection only ever goes to an address that was
 * checked when it was made. The scheme, credentials and IP-literal hosts are checked before each
 * request. Redirects are not followed (undici's default): a 3xx is a failed attempt and its
 * `Location` is never contacted. One deadline covers the whole attempt, connection, headers and
 * body. `send` never throws: every failure is a result.
 */
export function createSender(options: { policy: TargetPolicy; timeoutMs: number }): Sender {
  const { policy, timeoutMs } = options;
  const agent = new Agent({
    connect: { lookup: createCheckedLookup(policy), timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  // The URL checks depend on the URL and the policy alone: each endpoint URL is parsed and
  // checked once, not at every request. Bounded, as URLs change.
  const checkedUrls = new Map<string, ConnectCheck>();
  const check = (url: string): ConnectCheck => {
    let checked = checkedUrls.get(url);
    if (!checked) {
      if (checkedUrls.size >= CHECKED_URLS_KEPT) checkedUrls.clear();
      checked = checkUrlBeforeConnect(url, policy);
      checkedUrls.set(url, checked);
    }
    return checked;
  };

  return {
    async send(outgoing) {
      const requestedAt = new Date();
      const started = performance.now();
      const result = (fields: Partial<AttemptResult>): AttemptResult => ({
        requestedAt,
        endedAt: Date.now(),
        durationMs: Math.round(performance.now() - started),
        statusCode: null,
        errorClass: null,
        error: null,
        responseBody: null,
        retryAfter: undefined,
        ...fields,
      });

      const checked = check(outgoing.url);
      if (!checked.ok) {
        const errorClass = checked.refused === 'url' ? 'invalid_url' : 'address_refused';
        return result({ errorClass, error: checked.reason });
      }
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const response = await request(checked.url, {
          method: 'POST',
          dispatcher: agent,
          headers: outgoing.headers,
          body: outgoing.body,
          signal,
        });
        // The status decides the attempt: a receiver that answered 200 and then dribbles its
        // body until the deadline has taken the event, and must not get it again.
        const retryAfter = response.headers['retry-after'];
        const responseBody = await readResponseBody(
          response.body,
          response.headers['content-length'],
        );
        const errorClass = errorClassOfStatus(response.statusCode);
        return result({
          statusCode: response.statusCode,
          errorClass,
          error: errorClass === null ? null : `HTTP ${response.statusCode}`,
          responseBody,
          retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        });
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        const errorClass: ErrorClass = isAddressRefused(error)
          ? 'address_refused'
          : signal.aborted || (typeof code === 'string' && TIMEOUT_CODES.has(code))
            ? 'timeout'
            : 'connection';
        const message =
          errorClass === 'timeout' ? `no answer within ${timeoutMs} ms` : describeError(error);
        return result({ errorClass, error: message });
      }
    },

    async close() {
      await agent.close();
    },
  };
}
