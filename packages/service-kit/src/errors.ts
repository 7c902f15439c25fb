/**
 * The one catalog of error texts. Every error, everywhere, is
 * `{ success: false, error: <text>, details? }` with the spec's status code and text.
 */
export const errorText = {
  invalidQuery: 'Invalid query parameters',
  invalidBody: 'Invalid request body',
  invalidHeaders: 'Invalid request headers',
  unauthorized: 'Unauthorized',
  forbiddenAdmin: 'Forbidden: Admin access required',
  forbiddenCrossSite: 'Forbidden: cross-site request refused',
  routeNotFound: 'Route not found',
  payloadTooLarge: 'Request body too large',
  unsupportedMediaType: 'Unsupported media type',
  tooManyRequests: 'Too many requests. Please try again later.',
  internal: 'Internal server error',
  unavailable: 'Service temporarily unavailable',
  badGateway: 'Upstream service unavailable',
  gatewayTimeout: 'Upstream service timed out',
} as const;

export interface ErrorBody {
  success: false;
  error: string;
  details?: unknown;
}

/** An error whose status and text are meant for the client. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** 404 `<Thing> not found`, for a missing id and a foreign one alike. */
export const notFound = (thing: string): HttpError => new HttpError(404, `${thing} not found`);

export const errorBody = (error: string, details?: unknown): ErrorBody =>
  details === undefined ? { success: false, error } : { success: false, error, details };

const outageCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, too many connections.
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

const redisOutageMessages = [
  "Stream isn't writeable",
  'Connection is closed',
  'Command timed out',
  'Reached the max retries per request limit',
];

/**
 * Whether an error means Redis or PostgreSQL is unreachable, which answers 503 (the client may
 * retry) rather than 500 (a defect).
 */
export function isDependencyOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && outageCodes.has(code)) return true;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  if (redisOutageMessages.some((text) => error.message.includes(text))) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isDependencyOutage(cause);
}
