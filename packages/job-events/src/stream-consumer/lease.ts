import type { Redis } from 'ioredis';

/** Takes the lease when it is free or already ours, and extends it; 1 when we hold it. */
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

/** Gives the lease up only if it is still ours. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface Lease {
  /** Takes or renews the lease; false while another holder has it. */
  acquire(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * A time-bound lease in Redis, held by a name: a holder that stops renewing (a dead instance)
 * loses it after `ttlMs`, and a holder that comes back under the same name gets it back.
 */
export function createLease(redis: Redis, key: string, holder: string, ttlMs: number): Lease {
  return {
    async acquire() {
      return (await redis.eval(ACQUIRE, 1, key, holder, ttlMs)) === 1;
    },
    async release() {
      await redis.eval(RELEASE, 1, key, holder);
    },
  };
}
