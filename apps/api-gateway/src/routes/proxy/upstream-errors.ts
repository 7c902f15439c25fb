import type { Counter } from '@conveyor/runtime/metrics';
import { errorBody, errorText, HttpError } from '@conveyor/service-kit/errors';
import type { FastifyHttpProxyOptions } from '@fastify/http-proxy';

type OnError = NonNullable<NonNullable<FastifyHttpProxyOptions['replyOptions']>['onError']>;

function clientErrorIn(error: unknown): HttpError | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof HttpError) return current;
  }
  return undefined;
}

/**
 * How a failed upstream call answers. reply-from would send a refused connection as a 500 and
 * retry a GET that met a 503 up to ten times (piling load on a struggling service); here every
 * failure is one attempt, a timeout is 504 and anything else 502, in the envelope.
 */
export function upstreamErrorHandler(
  upstream: string,
  failures: Counter<'upstream' | 'reason'>,
): OnError {
  return (reply, { error }) => {
    // A chunked body that outgrew the limit broke the upload on purpose: that is the client's 413.
    const clientError = clientErrorIn(error);
    if (clientError) {
      void reply
        .header('connection', 'close')
        .code(clientError.statusCode)
        .send(errorBody(clientError.message));
      return;
    }
    const code = (error as { code?: string }).code;
    const timedOut =
      (error as { statusCode?: number }).statusCode === 504 && code !== 'UND_ERR_CONNECT_TIMEOUT';
    failures.inc({ upstream, reason: timedOut ? 'timeout' : 'unavailable' });
    reply.log.warn(
      { upstream, err: error.cause ?? error },
      timedOut ? 'upstream timed out' : 'upstream unavailable',
    );
    if (timedOut) void reply.code(504).send(errorBody(errorText.gatewayTimeout));
    else void reply.code(502).send(errorBody(errorText.badGateway));
  };
}
