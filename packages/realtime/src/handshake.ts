import { isCrossSiteRequest } from '@conveyor/service-kit/auth';
import { errorText, HttpError } from '@conveyor/service-kit/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TicketStore } from './tickets.js';

export interface HandshakeGuardOptions {
  tickets: TicketStore;
  /** CORS_ORIGINS: the browser origins allowed to open a socket. */
  allowedOrigins: readonly string[];
}

/** The `?ticket=` of the handshake; `null` when there is none, `undefined` when malformed. */
function ticketOf(request: FastifyRequest): string | null | undefined {
  const { ticket } = request.query as Record<string, unknown>;
  if (ticket === undefined) return null;
  return typeof ticket === 'string' ? ticket : undefined;
}

/**
 * The onRequest hook of `GET /api/realtime`: it runs while the upgrade is still an HTTP request,
 * so a refusal is an HTTP answer (401/403 in the error envelope) and no socket ever opens.
 *
 * 1. Origin. CORS does not apply to WebSocket handshakes and browsers send cookies with
 *    cross-site ones, so a page on any site could open a socket on the user's session (CSWSH).
 *    The same rule as the CSRF check of cookie-authenticated writes applies, by the same helper:
 *    same-origin by Fetch Metadata, or an `Origin` in CORS_ORIGINS; a client without `Origin`
 *    is no browser. Checked first, so a refused page spends no ticket and no Redis call.
 * 2. Credentials: `?ticket=` when present (and then only the ticket: a request never mixes two
 *    identities), else the service's own bearer-or-cookie verification. No other query
 *    parameter is read: a long-lived token in a URL is never accepted.
 */
export function createHandshakeGuard(app: FastifyInstance, options: HandshakeGuardOptions) {
  return async function authenticateHandshake(request: FastifyRequest): Promise<void> {
    if (isCrossSiteRequest(request, options.allowedOrigins)) {
      throw new HttpError(403, errorText.forbiddenCrossSite);
    }
    const ticket = ticketOf(request);
    if (ticket === null) {
      await app.authenticate(request);
      return;
    }
    const claims = ticket === undefined ? undefined : await options.tickets.redeem(ticket);
    if (claims === undefined) throw new HttpError(401, errorText.unauthorized);
    request.user = claims;
  };
}
