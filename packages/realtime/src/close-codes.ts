/**
 * Close codes of the platform's sockets (`/api/realtime`, `/api/admin/jobs/stream`). 1001 and 1013 are RFC 6455's; the 4000 range is the
 * application's own, chosen to echo the HTTP status a client already knows (401, 429).
 */
export const CloseCode = {
  /** The instance is shutting down: reconnect (another instance answers). */
  goingAway: 1001,
  /** The client read too slowly: its unsent backlog passed REALTIME_MAX_BUFFERED_BYTES. */
  tooSlow: 1013,
  /** The token (or the ticket's token) reached its `exp`: reconnect with a fresh one. */
  tokenExpired: 4001,
  /** The user already holds REALTIME_MAX_CONNECTIONS_PER_USER sockets on this instance. */
  tooManyConnections: 4029,
} as const;

export const CloseReason = {
  goingAway: 'Server shutting down',
  tooSlow: 'Too slow',
  tokenExpired: 'Token expired',
  tooManyConnections: 'Too many connections',
} as const satisfies Record<keyof typeof CloseCode, string>;

/** The close codes as one line for an API description: "`1001` Server shutting down; …". */
export const closeCodesText = (Object.keys(CloseCode) as Array<keyof typeof CloseCode>)
  .map((key) => `\`${CloseCode[key]}\` ${CloseReason[key]}`)
  .join('; ');
