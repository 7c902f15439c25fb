import type { Counter } from '@conveyor/runtime/metrics';
import { errorBody, errorText, HttpError } from '@conveyor/service-kit/errors';
import type { ForwardFailure } from './forward.js';

function clientErrorIn(error: unknown): HttpError | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof HttpError) return current;
  }
  return undefined;
}

/**
 * undici's code for a service that accepted the connection but sent no headers in time; a
 * WebSocket handshake the service left unanswered is reported with it too (websocket.ts).
 */
export const UPSTREAM_TIMEOUT_CODE = 'UND_ERR_HEADERS_TIMEOUT';

/**
 * How a failed upstream call answers: every failure is one attempt (undici's `dispatch` never
 * retries, unlike reply-from, which retried a GET that met a 503 up to ten times), a service
 * slower than UPSTREAM_TIMEOUT_MS is 504, anything else (refused, reset, connect timeout) 502,
 * in the envelope.
 */
export function upstreamErrorHandler(
  upstream: string,
  failures: Counter<'upstream' | 'reason'>,
): ForwardFailure {
  return (reply, error) => {
    // A chunked body that outgrew the limit broke the upload on purpose: that is the client's 413.
    const clientError = clientErrorIn(error);
    if (clientError) {
      void reply
        .header('connection', 'close')
        .code(clientError.statusCode)
        .send(errorBody(clientError.message));
      return;
    }
    const timedOut = (error as { code?: string }).code === UPSTREAM_TIMEOUT_CODE;
    failures.inc({ upstream, reason: timedOut ? 'timeout' : 'unavailable' });
    reply.log.warn(
      { upstream, err: error },
      timedOut ? 'upstream timed out' : 'upstream unavailable',
    );
    if (timedOut) void reply.code(504).send(errorBody(errorText.gatewayTimeout));
    else void reply.code(502).send(errorBody(errorText.badGateway));
  };
}
