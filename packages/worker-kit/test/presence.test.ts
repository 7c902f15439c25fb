import { type JobDefinition, QueueName } from '@conveyor/queue-contracts';
import { createLogger } from '@conveyor/runtime/logger';
import { createRedis, redisOptions, whenReady } from '@conveyor/runtime/redis';
import { waitUntil } from '@conveyor/test-harness/ports';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { presenceIndexKey, presenceKey, startPresence, type Presence } from '../src/presence.js';
import { listPresence } from '../src/presence-reader.js';
import { presenceConfigOf } from '../src/presence-config.js';
import type { PresenceScope } from '../src/presence-scope.js';
import { startTcpProxy, type TcpProxy } from '../src/testing-tcp-proxy.js';
import { bindProcessor, createQueueWorker, type QueueWorker } from '../src/worker.js';

const logger = createLogger({ app: 'test', level: 'silent', pretty: false });

/** A job of the test's own on a real queue name: fails when asked to, else echoes. */
const echo = {
  queue: QueueName.notificationDelivery,
  name: 'test.echo',
  payload: z.object({ fail: z.boolean().default(false), holdMs: z.number().default(0) }),
  result: z.object({ ok: z.literal(true) }),
  options: { attempts: 1 },
  userSubmittable: false,
} satisfies JobDefinition;

let prefix: string;
let redis: Redis;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  prefix = testPrefix();
  redis = createRedis(defaultTestRedisUrl, 'request');
  await whenReady(redis);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  redis.disconnect();
  await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
});

const scope = (heartbeatMs = 100): PresenceScope => ({
  redis,
  prefix,
  app: 'test-worker',
  version: '1.2.3',
  heartbeatMs,
  logger,
});

describe('startPresence and listPresence', () => {
  const start = (overrides: { redis?: Redis; app?: string; queues?: string[] } = {}) => {
    const presence: Presence = startPresence({
      redis: overrides.redis ?? redis,
      prefix,
      app: overrides.app ?? 'test-worker',
      queues: overrides.queues ?? ['alpha'],
      version: '1.2.3',
      concurrency: 4,
      heartbeatMs: 100,
      tally: () => ({ completed: 2, failed: 1, active: 3 }),
      logger,
    });
    cleanups.push(presence.close);
    return presence;
  };

  it('registers every field, running, and filters by app and queue', async () => {
    const presence = start();
    await presence.ready;
    start({ app: 'other-worker', queues: ['beta'] });
    await waitUntil(async () => (await listPresence(redis, prefix)).length === 2);

    const [instance] = await listPresence(redis, prefix, { app: 'test-worker' });
    expect(instance).toMatchObject({
      id: presence.id,
      app: 'test-worker',
      queues: ['alpha'],
      pid: process.pid,
      version: '1.2.3',
      concurrency: 4,
      heartbeatMs: 100,
      completed: 2,
      failed: 1,
      active: 3,
      isRunning: true,
    });
    expect(typeof instance!.host).toBe('string');
    expect(instance!.startedAt).toBeInstanceOf(Date);
    // Counted completions with no time of their own are dated by the heartbeat that saw them.
    expect(instance!.lastCompletedAt).toBeInstanceOf(Date);
    expect((await listPresence(redis, prefix, { queue: 'beta' })).map((i) => i.app)).toEqual([
      'other-worker',
    ]);
    expect(await listPresence(redis, prefix, { queue: 'gamma' })).toEqual([]);
  });

  it('keeps beating: the last heartbeat moves on', async () => {
    const presence = start();
    await presence.ready;
    const [first] = await listPresence(redis, prefix);
    await waitUntil(async () => {
      const [now] = await listPresence(redis, prefix);
      return now!.lastHeartbeat > first!.lastHeartbeat;
    });
  });

  it('leaves out an entry it cannot read rather than failing the list', async () => {
    const presence = start();
    await presence.ready;
    await redis.zadd(presenceIndexKey(prefix), Date.now(), 'garbled');
    await redis.hset(presenceKey(prefix, 'garbled'), { app: 'x', startedAt: 'yesterday' });
    expect((await listPresence(redis, prefix)).map((instance) => instance.id)).toEqual([
      presence.id,
    ]);
  });

  it('removes the entry on close', async () => {
    const presence = start();
    await presence.ready;
    await presence.close();
    expect(await listPresence(redis, prefix)).toEqual([]);
    expect(await redis.exists(presenceKey(prefix, presence.id))).toBe(0);
  });

  it('shows an instance that stopped beating without closing as not running within 3 beats', async () => {
    // Its own connection, dropped without a close: what a SIGKILL leaves behind.
    const doomed = createRedis(defaultTestRedisUrl, 'request');
    await whenReady(doomed);
    const presence = startPresence({
      redis: doomed,
      prefix,
      app: 'test-worker',
      queues: ['alpha'],
      version: '1',
      concurrency: 1,
      heartbeatMs: 100,
      tally: () => ({ completed: 0, failed: 0, active: 0 }),
      logger,
    });
    await presence.ready;
    cleanups.push(presence.close);
    doomed.disconnect();
    const dropped = Date.now();
    await waitUntil(async () => (await listPresence(redis, prefix))[0]?.isRunning === false, {
      timeoutMs: 2_000,
    });
    expect(Date.now() - dropped).toBeLessThan(3 * 100 + 500);
    expect(await listPresence(redis, prefix)).toHaveLength(1);
  });
});

describe('createQueueWorker presence', () => {
  let queue: Queue;
  beforeEach(() => {
    queue = new Queue(echo.queue, { connection: { host: '127.0.0.1', port: 6379 }, prefix });
    cleanups.push(() => queue.close());
  });

  const startWorker = (port = 6379): QueueWorker => {
    const worker = createQueueWorker({
      processors: [
        bindProcessor(echo, async ({ fail, holdMs }) => {
          await new Promise((resolve) => setTimeout(resolve, holdMs));
          if (fail) throw new Error('asked to fail');
          return { ok: true as const };
        }),
      ],
      connection: { host: '127.0.0.1', port, ...redisOptions('worker') },
      prefix,
      concurrency: 2,
      logger,
      presence: scope(),
    });
    cleanups.push(worker.close);
    return worker;
  };

  it('has no presence outside a scope', async () => {
    const worker = createQueueWorker({
      processors: [bindProcessor(echo, async () => ({ ok: true as const }))],
      connection: { host: '127.0.0.1', port: 6379, ...redisOptions('worker') },
      prefix,
      logger,
    });
    cleanups.push(worker.close);
    await worker.worker.waitUntilReady();
    expect(await listPresence(redis, prefix)).toEqual([]);
  });

  it('counts completed, failed and in-hand jobs and removes itself on close', async () => {
    const worker = startWorker();
    await queue.add('test.echo', {}, echo.options);
    await queue.add('test.echo', { fail: true }, echo.options);
    await waitUntil(async () => {
      const [instance] = await listPresence(redis, prefix, { queue: echo.queue });
      return instance?.completed === 1 && instance.failed === 1;
    });
    await queue.add('test.echo', { holdMs: 2_000 }, echo.options);
    await waitUntil(async () => (await listPresence(redis, prefix))[0]?.active === 1);
    const [instance] = await listPresence(redis, prefix);
    expect(instance).toMatchObject({
      app: 'test-worker',
      queues: [echo.queue],
      concurrency: 2,
      isRunning: true,
    });
    expect(instance!.lastCompletedAt!.getTime()).toBeGreaterThan(instance!.startedAt.getTime());

    await worker.close();
    expect(await listPresence(redis, prefix)).toEqual([]);
  });

  describe('with its blocking connection stuck', () => {
    let proxy: TcpProxy;
    beforeEach(async () => {
      proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
      // Cleanups run last-first: thaw, then the worker drains, then the proxy goes.
      cleanups.push(async () => {
        await proxy.close();
      });
    });

    it('keeps beating on its own connection while jobs wait and nothing completes', async () => {
      const worker = startWorker(proxy.port);
      cleanups.push(async () => proxy.thaw());
      await worker.worker.waitUntilReady();
      proxy.freeze();
      await queue.add('test.echo', {}, echo.options);
      const [before] = await listPresence(redis, prefix);
      await waitUntil(async () => {
        const [now] = await listPresence(redis, prefix);
        return now!.lastHeartbeat.getTime() >= before!.lastHeartbeat.getTime() + 300;
      });
      const [after] = await listPresence(redis, prefix);
      expect(after).toMatchObject({ isRunning: true, completed: 0, active: 0 });
      expect(await queue.getWaitingCount()).toBe(1);
    });
  });
});

describe('presenceConfigOf', () => {
  it('takes the deployment version, else the package version, and a heartbeat', () => {
    expect(presenceConfigOf({})).toEqual({ WORKER_HEARTBEAT_MS: 5_000, version: 'unknown' });
    expect(presenceConfigOf({ npm_package_version: '0.1.0', WORKER_HEARTBEAT_MS: '1000' })).toEqual(
      { WORKER_HEARTBEAT_MS: 1_000, version: '0.1.0' },
    );
    expect(presenceConfigOf({ npm_package_version: '0.1.0', APP_VERSION: 'abc123' }).version).toBe(
      'abc123',
    );
    expect(() => presenceConfigOf({ WORKER_HEARTBEAT_MS: '5' })).toThrow(/WORKER_HEARTBEAT_MS/);
  });
});
