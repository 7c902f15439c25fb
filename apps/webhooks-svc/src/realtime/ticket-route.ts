import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, successOf } from '../schemas/envelope.js';
import type { TicketStore } from '@conveyor/realtime/tickets';

const TicketResponseSchema = successOf(
  z.object({
    ticket: z.string().describe('Opens one socket: `GET /api/realtime?ticket=<ticket>`'),
    expiresAt: z.iso.datetime().describe('Unused after this, the ticket is refused'),
  }),
);

/** `POST /api/realtime/ticket`: a token, by header or cookie, traded for a single-use ticket. */
const ticketRoute: FastifyPluginAsyncZod<{ tickets: TicketStore }> = async (app, { tickets }) => {
  app.post(
    '/api/realtime/ticket',
    {
      // The service's own verification, CSRF check included: a cookie-authenticated POST from
      // a foreign site is refused, so no other site can obtain a ticket for the user.
      onRequest: app.authenticate,
      schema: {
        tags: ['realtime'],
        summary: 'Get a ticket for the real-time socket',
        description:
          'For clients that cannot send `Authorization` with a WebSocket handshake. The ticket ' +
          'is single use, valid for REALTIME_TICKET_SECONDS (never past the token’s expiry), ' +
          'and carries the token’s identity and expiry.',
        response: {
          200: TicketResponseSchema.describe('A fresh ticket'),
          ...errorResponses(),
        },
      },
    },
    async (request) => ({ success: true as const, data: await tickets.issue(request.user) }),
  );
};

export default ticketRoute;
