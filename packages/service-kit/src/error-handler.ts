import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { errorBody, errorText, HttpError, isDependencyOutage } from './errors.js';

const validationText: Record<string, string> = {
  body: errorText.invalidBody,
  querystring: errorText.invalidQuery,
  params: errorText.invalidQuery,
  headers: errorText.invalidHeaders,
};

/** Fastify's own client errors, mapped to the catalog. */
const fastifyClientErrors: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, errorText.payloadTooLarge],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, errorText.unsupportedMediaType],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, errorText.invalidBody],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, errorText.invalidBody],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, errorText.invalidBody],
};

/**
 * Turns every error into the envelope. Client errors keep their catalog text; a dependency
 * outage is 503; anything else is a logged 500 whose message never reaches the client.
 */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(error)) {
    // Each issue names the offending field as a JSON pointer; clients read it as a dotted path.
    const issues = error.validation as readonly { instancePath: string; message?: string }[];
    const details = issues.map((issue) => ({
      path: issue.instancePath.replace(/^\//, '').replaceAll('/', '.'),
      message: issue.message,
    }));
    const text = validationText[error.validationContext ?? 'body'] ?? errorText.invalidBody;
    return reply.code(400).send(errorBody(text, details));
  }
  if (error instanceof HttpError) {
    return reply.code(error.statusCode).send(errorBody(error.message, error.details));
  }
  const known = error.code ? fastifyClientErrors[error.code] : undefined;
  if (known) return reply.code(known[0]).send(errorBody(known[1]));
  if (error.code === 'FST_ERR_VALIDATION')
    return reply.code(400).send(errorBody(errorText.invalidBody));
  if (isDependencyOutage(error)) {
    request.log.warn({ err: error }, 'dependency unavailable');
    return reply.code(503).header('retry-after', '1').send(errorBody(errorText.unavailable));
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return reply.code(status).send(errorBody(error.message));
  request.log.error({ err: error }, 'request failed');
  return reply.code(500).send(errorBody(errorText.internal));
}
