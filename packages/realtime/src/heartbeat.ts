import type { WebSocket } from 'ws';

/**
 * One timer for every socket of the instance, not one per socket: each beat terminates the
 * sockets whose previous ping went unanswered, then pings the rest. A peer that vanished
 * without a FIN (a laptop lid, a NAT that forgot the flow) is thus gone within two intervals,
 * and its hub subscription and connection slot with it; the pings also keep idle proxies from
 * cutting a quiet socket.
 */
export function createHeartbeat(intervalMs: number) {
  const alive = new Map<WebSocket, boolean>();
  const timer = setInterval(() => {
    for (const [socket, answered] of alive) {
      if (!answered) {
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
  }, intervalMs);
  timer.unref();

  return {
    /** Watches a socket until it closes. */
    watch(socket: WebSocket): void {
      alive.set(socket, true);
      socket.on('pong', () => {
        if (alive.has(socket)) alive.set(socket, true);
      });
      socket.once('close', () => alive.delete(socket));
    },
    stop(): void {
      clearInterval(timer);
      alive.clear();
    },
  };
}
