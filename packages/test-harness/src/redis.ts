import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The shared development Redis the tests use unless they start a private one. */
export const defaultTestRedisUrl = 'redis://127.0.0.1:6379';

/**
 * A BullMQ key prefix of one's own. The braces make it a Cluster hash tag, like the product's
 * default prefix, so tests exercise the same key shape.
 */
export function testPrefix(): string {
  return `{test-${randomUUID()}}`;
}

/** Deletes every key under `prefix`; the `afterEach` of a test that used it. */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
