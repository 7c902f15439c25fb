import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '@conveyor/runtime/logger';
import type { Redis } from 'ioredis';
import { startPresence, type Presence, type PresenceOptions } from './presence.js';

/** What a process knows of itself for presence: who it is and where to write. */
export interface PresenceScope {
  redis: Redis;
  prefix: string;
  app: string;
  version: string;
  heartbeatMs: number;
  logger: Logger;
}

/**
 * `runWorker` builds the app inside this scope, so the workers the app creates register
 * themselves without the app passing anything along; a worker built outside it (a test
 * running a processor in-process) has no presence unless it is given a scope.
 */
const scopes = new AsyncLocalStorage<PresenceScope>();

export function withPresenceScope<T>(scope: PresenceScope, build: () => T): T {
  return scopes.run(scope, build);
}

/**
 * Starts presence for the work of this process (`queues`, counted by `tally`) in the given
 * scope or the current one; undefined when there is neither.
 */
export function joinPresence(
  options: Pick<PresenceOptions, 'queues' | 'concurrency' | 'tally'> & { scope?: PresenceScope },
): Presence | undefined {
  const scope = options.scope ?? scopes.getStore();
  if (!scope) return undefined;
  return startPresence({
    redis: scope.redis,
    prefix: scope.prefix,
    app: scope.app,
    version: scope.version,
    heartbeatMs: scope.heartbeatMs,
    logger: scope.logger,
    queues: options.queues,
    concurrency: options.concurrency,
    tally: options.tally,
  });
}
