import { z } from 'zod';

const count = (min: number, max: number, defaultValue: number) =>
  z.coerce.number().int().min(min).max(max).default(defaultValue);

/** The variables of every service that serves sockets: spread into its config schema. */
export const realtimeConfigShape = {
  /** Open sockets one user may hold on one instance. @defaultValue 5 */
  REALTIME_MAX_CONNECTIONS_PER_USER: count(1, 100, 5),
  /**
   * Bytes a socket may have queued and unsent before it is cut off as too slow, so one slow
   * client never holds the others' memory. @defaultValue 1 MiB
   */
  REALTIME_MAX_BUFFERED_BYTES: count(16_384, 64 * 1_048_576, 1_048_576),
  /** Milliseconds between pings; a socket that misses one pong is closed. @defaultValue 30 000 */
  REALTIME_HEARTBEAT_MS: count(1_000, 300_000, 30_000),
  /**
   * Seconds a `/api/realtime/ticket` ticket stays valid (single use); any socket of the
   * platform redeems it. @defaultValue 30
   */
  REALTIME_TICKET_SECONDS: count(5, 300, 30),
};
