import type { WebSocket } from 'ws';

/**
 * The open sockets of this instance by user: the per-user cap, and the list a shutdown closes.
 * The cap is per instance on purpose: a cluster-wide count would need a Redis counter that a
 * crashed instance leaves too high, locking users out until it expires. N instances allow at
 * most N times the cap, which bounds what one user can hold all the same.
 */
export function createConnectionRegistry(maxPerUser: number) {
  const byUser = new Map<string, Set<WebSocket>>();

  return {
    /** Adds the socket unless the user is at the cap; it leaves the registry when it closes. */
    admit(userId: string, socket: WebSocket): boolean {
      let sockets = byUser.get(userId);
      if (sockets !== undefined && sockets.size >= maxPerUser) return false;
      if (sockets === undefined) {
        sockets = new Set();
        byUser.set(userId, sockets);
      }
      const own = sockets;
      own.add(socket);
      socket.once('close', () => {
        own.delete(socket);
        if (own.size === 0 && byUser.get(userId) === own) byUser.delete(userId);
      });
      return true;
    },

    *sockets(): Iterable<WebSocket> {
      for (const sockets of byUser.values()) yield* sockets;
    },
  };
}

export type ConnectionRegistry = ReturnType<typeof createConnectionRegistry>;
