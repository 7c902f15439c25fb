import { Redis, type RedisOptions } from 'ioredis';

/**
 * What a connection is for decides how it behaves when Redis is away:
 * - `worker`: blocking commands of a BullMQ Worker; waits and retries forever
 *   (`maxRetriesPerRequest: null`, as BullMQ requires).
 * - `request`: a request path or a producer; fails at once while disconnected
 *   (`enableOfflineQueue: false`) so an HTTP request answers 503 instead of hanging.
 */
export type RedisRole = 'worker' | 'request';

/** Reconnect quickly at first, then every two seconds, forever: the app heals when Redis returns. */
const reconnectDelay = (attempt: number): number => Math.min(100 * 2 ** attempt, 2_000);

export function redisOptions(role: RedisRole): RedisOptions {
  const common: RedisOptions = {
    connectTimeout: 2_000,
    retryStrategy: reconnectDelay,
    lazyConnect: false,
  };
  if (role === 'worker') {
    return { ...common, maxRetriesPerRequest: null, enableReadyCheck: false };
  }
  return {
    ...common,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A command on a half-open connection must not hang a request.
    commandTimeout: 1_000,
  };
}

export function createRedis(url: string, role: RedisRole, name?: string): Redis {
  return new Redis(url, { ...redisOptions(role), ...(name ? { connectionName: name } : {}) });
}

/**
 * Resolves once the connection is ready, or after `timeoutMs` either way. A fail-fast
 * connection refuses commands until it is ready, so a process waits for it before it serves.
 */
export async function whenReady(client: Redis, timeoutMs = 2_000): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('ready', onReady);
  });
}
