import { randomUUID } from 'node:crypto';
import { QueueName } from '@conveyor/queue-contracts';
import { freePort } from '@conveyor/test-harness/ports';
import { generateSecret } from '@conveyor/webhooks/secrets';
import { signedHeaders } from '@conveyor/webhooks/signing';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { Agent, request } from 'undici';
import type { BenchContext } from '../harness/context.js';
import { defineBenchmark } from '../harness/definition.js';
import { percentile } from '../harness/stats.js';
import {
  appEnv,
  benchConfig,
  fixtureEntry,
  ownDatabase,
  ownPrefix,
  startApp,
} from '../platform.js';
import { getJson, secondsSince, until } from '../polling.js';

const events = 10_000;
const endpointCount = 50;
/** Deliveries each path makes first, unmeasured: JIT, pools and caches warm up. */
const warmUp = 500;
/** Events of the second run to the endpoint that never answers. */
const slowEvents = 200;
/** webhook-worker's WEBHOOK_CONCURRENCY default (apps/webhook-worker/src/config.ts). */
const concurrency = 200;
const queue = QueueName.mediaPreview;
const MiB = 2 ** 20;

interface ReceiverStats {
  received: number;
  unique: number;
  slowConnections: number;
  latencies: number[];
}

interface Endpoint {
  url: string;
  secret: string;
}

/**
 * Raw signed POSTs from this one process: the same HTTP client (undici, one keep-alive pool per
 * origin) and concurrency as the worker, each body signed as the worker signs it, nothing else.
 */
async function rawSignedPosts(targets: readonly Endpoint[], count: number): Promise<number> {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 60_000 });
  try {
    const post = async (index: number) => {
      const target = targets[index % targets.length]!;
      const id = `msg_raw_${index}`;
      const body = JSON.stringify({
        id: `job-${index}`,
        jobname: 'bench.webhook',
        userId: 'raw',
        result: { at: Date.now() },
        eventType: 'completed',
      });
      const response = await request(target.url, {
        method: 'POST',
        dispatcher: agent,
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Conveyor-Webhooks/1.0',
          ...signedHeaders([target.secret], id, body),
        },
        signal: AbortSignal.timeout(10_000),
      });
      await response.body.dump();
      if (response.statusCode !== 200) throw new Error(`raw POST answered ${response.statusCode}`);
    };
    const run = async (first: number, total: number) => {
      let next = first;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < first + total) await post(next++);
        }),
      );
    };
    await run(0, warmUp);
    const startedAt = performance.now();
    await run(warmUp, count);
    return count / secondsSince(startedAt);
  } finally {
    await agent.close();
  }
}

/**
 * Job events as BullMQ writes them: each job's hash (name and payload with its owner, which the
 * worker reads once per job) and a `completed` entry on the queue's events stream, whose result
 * carries the moment it was written so the receiver can time event to receipt.
 */
function createEventSource(redisUrl: string, prefix: string) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const stream = `${prefix}:${queue}:events`;
  return {
    async emit(owners: readonly string[]) {
      const jobs = owners.map((ownerId) => ({ ownerId, jobId: randomUUID() }));
      const hashes = redis.pipeline();
      for (const { ownerId, jobId } of jobs) {
        hashes.hset(`${prefix}:${queue}:${jobId}`, {
          name: 'bench.webhook',
          data: JSON.stringify({ ownerId }),
          opts: '{}',
          timestamp: Date.now(),
        });
      }
      await hashes.exec();
      const entries = redis.pipeline();
      for (const { jobId } of jobs) {
        const returnvalue = JSON.stringify({ at: Date.now() });
        entries.xadd(
          stream,
          'MAXLEN',
          '~',
          100_000,
          '*',
          'event',
          'completed',
          'jobId',
          jobId,
          'returnvalue',
          returnvalue,
          'prev',
          'active',
        );
      }
      await entries.exec();
    },
    close: () => redis.quit(),
  };
}

/** Owners for `count` events, spread evenly over the endpoints' users. */
const ownersFor = (users: readonly string[], count: number) =>
  Array.from({ length: count }, (_, index) => users[index % users.length]!);

async function deliveryRun(
  ctx: BenchContext,
  receiverStats: () => Promise<ReceiverStats>,
  reset: () => Promise<void>,
  emit: () => Promise<void>,
) {
  await reset();
  const startedAt = performance.now();
  await emit();
  await until(
    'every event to reach its endpoint',
    async () => (await receiverStats()).unique >= events,
    180_000,
  );
  const seconds = secondsSince(startedAt);
  const stats = await receiverStats();
  ctx.log(
    `${Math.round(events / seconds)} deliveries/s, ${stats.received - stats.unique} duplicates`,
  );
  return { rate: events / seconds, seconds, stats };
}

export default defineBenchmark({
  name: 'webhooks',
  description:
    '10 000 job events to 50 endpoints through webhook-worker (fan-out, signing, delivery) until each is received, against raw signed POSTs with the same client and concurrency in the same run; then again with one endpoint that never answers.',
  async run(ctx) {
    const config = benchConfig();
    const database = await ownDatabase(ctx, config);
    const prefix = ownPrefix(ctx, config);
    const env = appEnv(config, database, prefix);
    const sql = postgres(database.url, { max: 2, onnotice: () => undefined });
    ctx.defer(() => sql.end({ timeout: 5 }));

    const receiverPort = await freePort();
    const receiverOrigin = `http://127.0.0.1:${receiverPort}`;
    const receiver = await ctx.startService({
      entry: fixtureEntry('webhook-receiver.ts'),
      env: { HOST: '127.0.0.1', PORT: String(receiverPort) },
      readyUrl: `${receiverOrigin}/stats`,
    });
    const receiverStats = () => getJson<ReceiverStats>(`${receiverOrigin}/stats`);
    const resetReceiver = async () => {
      await fetch(`${receiverOrigin}/reset`, { method: 'POST' });
    };

    const users = Array.from(
      { length: endpointCount },
      (_, index) => `bench-webhook-user-${index + 1}`,
    );
    const slowUser = 'bench-webhook-slow-user';
    const endpoints = users.map((_, index) => ({
      url: `${receiverOrigin}/u${index + 1}`,
      secret: generateSecret(),
    }));
    await sql`insert into users (id, role) select value, 'CREATOR' from jsonb_array_elements_text(${sql.json([...users, slowUser])})`;
    await sql`
      insert into webhook_endpoints (owner_id, url, event_type, secret)
      select e.owner_id, e.url, 'completed', e.secret
      from jsonb_to_recordset(${sql.json(users.map((owner_id, index) => ({ owner_id, ...endpoints[index] })))})
        as e(owner_id text, url text, secret text)`;

    const rawRate = await rawSignedPosts(endpoints, events);
    ctx.log(`raw signed POSTs: ${Math.round(rawRate)} /s`);
    await resetReceiver();

    const workerPort = await freePort();
    const worker = await startApp(
      ctx,
      'webhook-worker',
      {
        ...env,
        WORKER_NAME: `bench-${randomUUID().slice(0, 8)}`,
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
        WEBHOOK_CONCURRENCY: String(concurrency),
      },
      workerPort,
    );
    const source = createEventSource(config.BENCH_REDIS_URL, prefix);
    ctx.defer(() => source.close());

    await source.emit(ownersFor(users, warmUp));
    await until('the warm-up deliveries', async () => (await receiverStats()).unique >= warmUp);
    // A database in service has statistics (autovacuum analyzes it); a fresh one has none.
    await sql`analyze webhook_endpoints, webhook_messages, webhook_deliveries, webhook_attempts`;

    const memory = ctx.memory(worker.pid, 100);
    const workerCpu = ctx.cpu(worker.pid);
    const steady = await deliveryRun(ctx, receiverStats, resetReceiver, () =>
      source.emit(ownersFor(users, events)),
    );
    const cpu = workerCpu.stop();
    const rss = memory.stop();

    // The same again, with a 51st endpoint that never answers and gets events all along.
    await sql`
      insert into webhook_endpoints (owner_id, url, event_type, secret)
      values (${slowUser}, ${`${receiverOrigin}/slow/1`}, 'completed', ${generateSecret()})`;
    const withSlow = await deliveryRun(ctx, receiverStats, resetReceiver, async () => {
      await source.emit(ownersFor(users, events / 2));
      await source.emit(ownersFor([slowUser], slowEvents));
      await source.emit(ownersFor(users, events / 2));
    });
    if (withSlow.stats.slowConnections === 0) throw new Error('the slow endpoint was never called');

    const latencies = steady.stats.latencies;
    ctx.detail('webhooks', {
      events,
      endpoints: endpointCount,
      concurrency,
      steady: {
        seconds: steady.seconds,
        received: steady.stats.received,
        unique: steady.stats.unique,
      },
      withSlowEndpoint: {
        seconds: withSlow.seconds,
        received: withSlow.stats.received,
        slowRequests: withSlow.stats.slowConnections,
      },
      workerCpu: cpu,
      workerRss: rss,
      receiverPid: receiver.pid,
    });
    ctx.record({
      name: 'webhook deliveries/s (event to receipt)',
      unit: 'deliveries/s',
      value: steady.rate,
      baseline: { label: 'raw signed POSTs', value: rawRate },
      target: { min: 0.5 },
    });
    ctx.record({
      name: 'deliveries/s beside an endpoint that never answers',
      unit: 'deliveries/s',
      value: withSlow.rate,
      baseline: { label: 'without it', value: steady.rate },
      target: { min: 0.9 },
    });
    ctx.record({ name: 'raw signed POSTs/s', unit: 'requests/s', value: rawRate });
    ctx.record({
      name: 'event to receipt p50 (10 000 at once)',
      unit: 'ms',
      value: percentile(latencies, 50),
    });
    ctx.record({
      name: 'event to receipt p99 (10 000 at once)',
      unit: 'ms',
      value: percentile(latencies, 99),
    });
    ctx.record({
      name: 'duplicates at the receiver',
      unit: 'requests',
      value:
        steady.stats.received -
        steady.stats.unique +
        withSlow.stats.received -
        withSlow.stats.unique,
    });
    ctx.record({
      name: 'webhook-worker CPU per delivery',
      unit: 'µs/delivery',
      value: cpu.micros / events,
    });
    ctx.record({ name: 'webhook-worker peak RSS', unit: 'MiB', value: rss.peakBytes / MiB });
  },
});
