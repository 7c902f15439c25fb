import { createHash, randomBytes } from 'node:crypto';
import { ClaimsSchema, type Claims } from '@conveyor/service-kit/claims';
import type { Redis } from 'ioredis';

/** Prefix of the ticket keys in Redis unless `TicketStoreOptions.keyPrefix` says otherwise. */
export const DEFAULT_TICKET_KEY_PREFIX = 'conveyor:realtime:ticket:';

export interface TicketStoreOptions {
  /** A fail-fast connection: an outage answers 503 instead of holding the handshake. */
  redis: Redis;
  /** Seconds a ticket stays valid (REALTIME_TICKET_SECONDS). */
  ttlSeconds: number;
  /** @defaultValue `conveyor:realtime:ticket:` */
  keyPrefix?: string;
}

export interface IssuedTicket {
  ticket: string;
  /** ISO 8601; never later than the token the ticket stands for. */
  expiresAt: string;
}

/** 32 random bytes, base64url: 43 characters. Anything else is refused without a Redis call. */
const ticketShape = /^[\w-]{43}$/;

/**
 * Single-use WebSocket tickets: a browser cannot set `Authorization` on a WebSocket handshake,
 * and a long-lived token in a URL ends up in logs and histories. So an authenticated REST call
 * trades the token for a ticket that opens one socket within seconds, and carries the token's
 * claims, `exp` included (the socket still closes when the token would have expired).
 *
 * Redis holds a SHA-256 of the ticket, not the ticket: a dump or MONITOR of Redis yields nothing
 * a client could present. Redemption is one GETDEL, so two handshakes racing with the same
 * ticket cannot both win, on one instance or across instances.
 */
export function createTicketStore(options: TicketStoreOptions) {
  const { redis, ttlSeconds } = options;
  const prefix = options.keyPrefix ?? DEFAULT_TICKET_KEY_PREFIX;
  const keyOf = (ticket: string) => prefix + createHash('sha256').update(ticket).digest('hex');

  return {
    async issue(claims: Claims): Promise<IssuedTicket> {
      const ticket = randomBytes(32).toString('base64url');
      const now = Date.now();
      // A ticket never outlives its token (authenticate has refused expired ones, and
      // `exp` is in whole seconds, so a token in its last second gets a ticket of 1 ms).
      const ttlMs = Math.max(1, Math.min(ttlSeconds * 1000, claims.exp * 1000 - now));
      await redis.set(keyOf(ticket), JSON.stringify(claims), 'PX', ttlMs);
      return { ticket, expiresAt: new Date(now + ttlMs).toISOString() };
    },

    /** The claims the ticket was issued for, once; `undefined` for unknown, used or expired. */
    async redeem(ticket: string): Promise<Claims | undefined> {
      if (!ticketShape.test(ticket)) return undefined;
      const stored = await redis.getdel(keyOf(ticket));
      if (stored === null) return undefined;
      const parsed = ClaimsSchema.safeParse(JSON.parse(stored));
      if (!parsed.success || parsed.data.exp * 1000 <= Date.now()) return undefined;
      return parsed.data;
    },
  };
}

export type TicketStore = ReturnType<typeof createTicketStore>;
