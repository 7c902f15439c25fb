import { randomUUID } from 'node:crypto';
import type { HttpConfig } from '@conveyor/runtime/config';
import type { Logger } from '@conveyor/runtime/logger';
import { Histogram, type Registry } from '@conveyor/runtime/metrics';
import Fastify, { LogController, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleError } from './error-handler.js';
import { errorBody, errorText } from './errors.js';

export type ServiceApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface ServiceAppOptions {
  http: HttpConfig;
  logger: Logger;
  metrics: Registry;
}

/** The header that carries a request's id from the gateway to the services and into jobs. */
export const REQUEST_ID_HEADER = 'x-request-id';
const acceptableRequestId = /^[\w.:-]{1,128}$/;
const probePaths = new Set(['/healthz', '/readyz', '/metrics']);

/** Keeps a caller's request id when it is sane, so one id follows a request everywhere. */
export function requestIdFrom(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && acceptableRequestId.test(incoming)
    ? incoming
    : randomUUID();
}

/**
 * Errors raised before routing skip the error handler; they take the envelope too. A path whose
 * percent-encoding cannot be decoded matches no route, so it answers like one.
 */
function handleFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  if (error.code === 'FST_ERR_BAD_URL') {
    void reply.code(404).send(errorBody(errorText.routeNotFound));
    return;
  }
  request.log.error({ err: error }, 'request failed before routing');
  void reply.code(500).send(errorBody(errorText.internal));
}

/**
 * The fastify instance every Conveyor HTTP app starts from: zod validation and serialization,
 * the error envelope, request ids, explicit limits and timeouts, request metrics. It never
 * listens; `main.ts` does.
 */
export function createServiceApp(options: ServiceAppOptions): ServiceApp {
  const app = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: options.logger,
    genReqId: requestIdFrom,
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      // Probes and scrapes arrive every few seconds; logging them drowns the real traffic.
      disableRequestLogging: (request) => probePaths.has(request.url),
    }),
    bodyLimit: options.http.BODY_LIMIT_BYTES,
    requestTimeout: options.http.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: options.http.KEEP_ALIVE_TIMEOUT_MS,
    connectionTimeout: options.http.REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: handleFrameworkError,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send(errorBody(errorText.routeNotFound)),
  );

  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [options.metrics],
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  return app;
}
