import { randomUUID } from 'node:crypto';
import { deliverNotification } from '@conveyor/queue-contracts';
import { freePort } from '@conveyor/test-harness/ports';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import type { BenchContext } from '../harness/context.js';
import { defineBenchmark } from '../harness/definition.js';
import { startMailSink } from '../mail-sink.js';
import {
  appEntry,
  appEnv,
  benchConfig,
  fixtureEntry,
  ownDatabase,
  ownPrefix,
  tokenFor,
} from '../platform.js';
import { getJson, phaseTimeoutMs, secondsSince, until } from '../polling.js';
import { measureRawSmtp } from '../smtp-baseline.js';

const emails = 10_000;
/**
 * Items each path handles first, unmeasured: JIT, connection pools and caches warm up, as in a
 * process that has been running (a fresh worker spends a seventh of its CPU compiling).
 */
const warmUp = 500;
/**
 * The delivery-worker's defaults (DELIVERY_CONCURRENCY and SMTP_POOL_SIZE in
 * apps/delivery-worker/src/config.ts), passed explicitly so that the baselines are sure to run
 * with the same values; BENCH_DELIVERY_CONCURRENCY and BENCH_SMTP_POOL_SIZE try others.
 */
const workerDefaults = { concurrency: 10, smtpPoolSize: 5 } as const;
const MiB = 2 ** 20;

/** Recipient domains of the worker's phases, so the sink's counts tell them apart. */
const domains = {
  delivery: 'delivery.bench.test',
  deliveryWarmUp: 'warm-delivery.bench.test',
} as const;

/** Raw BullMQ: 10 000 no-op jobs added in bulk, taken by one worker process. */
async function rawQueue(
  ctx: BenchContext,
  redisUrl: string,
  prefix: string,
  concurrency: number,
): Promise<number> {
  const port = await freePort();
  const queueName = `bench-noop-${randomUUID().slice(0, 8)}`;
  const worker = await ctx.startService({
    entry: fixtureEntry('noop-worker.ts'),
    env: {
      PORT: String(port),
      REDIS_URL: redisUrl,
      BULL_PREFIX: prefix,
      QUEUE: queueName,
      CONCURRENCY: String(concurrency),
    },
    readyUrl: `http://127.0.0.1:${port}/counts`,
  });
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const queue = new Queue(queueName, { connection, prefix });
  queue.on('error', (error) => ctx.log(`raw queue error: ${error.message}`));
  const completed = async () =>
    (await getJson<{ completed: number }>(`http://127.0.0.1:${port}/counts`)).completed;
  // In chunks of 1 000 per round trip, as notifications-svc enqueues (delivery-jobs.ts), with
  // the delivery job's options (attempts, backoff, retention).
  const addJobs = async (first: number, count: number) => {
    for (let start = first; start < first + count; start += 1_000) {
      const size = Math.min(1_000, first + count - start);
      await queue.addBulk(
        Array.from({ length: size }, (_, offset) => ({
          name: 'bench.noop',
          data: { index: start + offset },
          opts: { ...deliverNotification.options, jobId: `noop-${start + offset}` },
        })),
      );
    }
  };
  try {
    await addJobs(0, warmUp);
    await until(
      'the no-op worker to complete the warm-up jobs',
      async () => (await completed()) >= warmUp,
    );
    const startedAt = performance.now();
    await addJobs(warmUp, emails);
    await until(
      'the no-op worker to complete every job',
      async () => (await completed()) >= warmUp + emails,
    );
    return emails / secondsSince(startedAt);
  } finally {
    await worker.stop();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    connection.disconnect();
  }
}

export default defineBenchmark({
  name: 'delivery',
  description:
    '10 000 notifications created in one ADMIN call until every email is accepted by a local SMTP server, against raw BullMQ (10 000 no-op jobs) and raw SMTP (10 000 emails through nodemailer), same concurrency and pool size, in the same run.',
  async run(ctx) {
    const config = benchConfig();
    const database = await ownDatabase(ctx, config);
    const prefix = ownPrefix(ctx, config);
    const env = appEnv(config, database, prefix);

    const sql = postgres(database.url, { max: 2, onnotice: () => undefined });
    ctx.defer(() => sql.end({ timeout: 5 }));
    // 10 000 users with addresses and no preferences row (IMMEDIATE by default), in one statement.
    const seed = (idPrefix: string, domain: string, count: number) => sql`
      insert into users (id, email, role)
      select ${idPrefix} || g, 'user-' || g || '@' || ${domain}, 'VIEWER'
      from generate_series(1, ${count}) as g`;
    await seed('bench-user-', domains.delivery, emails);
    await seed('bench-warm-user-', domains.deliveryWarmUp, warmUp);
    const ids = (idPrefix: string, count: number) =>
      Array.from({ length: count }, (_, index) => `${idPrefix}${index + 1}`);

    const [servicePort, workerPort] = await Promise.all([freePort(), freePort()]);
    const sink = await startMailSink(ctx);

    const concurrency = config.BENCH_DELIVERY_CONCURRENCY ?? workerDefaults.concurrency;
    const smtpPoolSize = config.BENCH_SMTP_POOL_SIZE ?? workerDefaults.smtpPoolSize;
    const queueRate = await rawQueue(ctx, config.BENCH_REDIS_URL, prefix, concurrency);
    ctx.log(`raw BullMQ: ${Math.round(queueRate)} jobs/s`);
    const smtpRate = await measureRawSmtp(ctx, sink, {
      emails,
      warmUp,
      poolSize: smtpPoolSize,
    });
    ctx.log(`raw SMTP: ${Math.round(smtpRate)} emails/s`);

    const serviceOrigin = `http://127.0.0.1:${servicePort}`;
    await ctx.startService({
      entry: appEntry('notifications-svc'),
      env: { ...env, PORT: String(servicePort) },
      readyUrl: `${serviceOrigin}/readyz`,
    });
    const worker = await ctx.startService({
      entry: appEntry('delivery-worker'),
      env: {
        ...env,
        PORT: String(workerPort),
        SMTP_URL: sink.smtpUrl,
        DELIVERY_CONCURRENCY: String(concurrency),
        SMTP_POOL_SIZE: String(smtpPoolSize),
      },
      readyUrl: `http://127.0.0.1:${workerPort}/readyz`,
    });

    const admin = `Bearer ${tokenFor(`bench-admin-${randomUUID()}`, 'ADMIN')}`;
    const notify = async (userIds: string[]) => {
      const response = await fetch(`${serviceOrigin}/api/notifications`, {
        method: 'POST',
        headers: { authorization: admin, 'content-type': 'application/json' },
        body: JSON.stringify({
          userIds,
          type: 'SYSTEM',
          title: 'Bench notification',
          message: 'A benchmark message of about the size of a notification.',
        }),
        signal: AbortSignal.timeout(phaseTimeoutMs),
      });
      const created = (await response.json()) as { data?: { count?: number } };
      if (response.status !== 201 || created.data?.count !== userIds.length) {
        throw new Error(`the ADMIN call answered ${response.status}: ${JSON.stringify(created)}`);
      }
    };

    await notify(ids('bench-warm-user-', warmUp));
    await sink.whenAccepted(domains.deliveryWarmUp, warmUp, 'the warm-up emails to be accepted');

    const memory = ctx.memory(worker.pid, 100);
    const workerCpu = ctx.cpu(worker.pid);
    const sinkCpu = ctx.cpu(sink.pid);
    const startedAt = performance.now();
    await notify(ids('bench-user-', emails));
    const createdAfter = secondsSince(startedAt);
    const accepted = await sink.whenAccepted(
      domains.delivery,
      emails,
      'every notification email to be accepted by the SMTP sink',
    );
    const deliveredAfter = secondsSince(startedAt);
    const cpu = workerCpu.stop();
    const sinkCpuDuringDelivery = sinkCpu.stop();
    const rss = memory.stop();
    if (accepted.messages !== emails || accepted.recipients !== emails) {
      throw new Error(
        `${accepted.messages} emails to ${accepted.recipients} recipients, not one to each of ${emails}`,
      );
    }
    // Every row marked `sent` (the mark follows the relay's 250 by one UPDATE).
    await until('every notification to be marked sent', async () => {
      const [row] = await sql<{ sent: number }[]>`
        select count(*)::int as sent from notifications where email_status = 'sent'`;
      return row?.sent === warmUp + emails;
    });

    const deliveryRate = emails / deliveredAfter;
    const slower =
      queueRate <= smtpRate
        ? { label: 'raw BullMQ', value: queueRate }
        : { label: 'raw SMTP', value: smtpRate };
    ctx.log(
      `delivery: ${Math.round(deliveryRate)} emails/s (201 after ${createdAfter.toFixed(2)} s, all accepted after ${deliveredAfter.toFixed(2)} s)`,
    );
    ctx.detail('delivery', {
      emails,
      warmUp,
      concurrency,
      smtpPoolSize,
      createdAfterSeconds: createdAfter,
      deliveredAfterSeconds: deliveredAfter,
      workerCpu: cpu,
      sinkCpu: sinkCpuDuringDelivery,
      workerRss: rss,
    });
    ctx.detail('baselines', { rawQueueJobsPerSecond: queueRate, rawSmtpEmailsPerSecond: smtpRate });

    ctx.record({
      name: 'delivery emails/s (ADMIN call to last SMTP 250)',
      unit: 'emails/s',
      value: deliveryRate,
      baseline: slower,
      target: { min: 0.5 },
    });
    ctx.record({ name: 'raw BullMQ no-op jobs/s', unit: 'jobs/s', value: queueRate });
    ctx.record({ name: 'raw SMTP emails/s', unit: 'emails/s', value: smtpRate });
    ctx.record({ name: 'ADMIN call answered 201 after', unit: 's', value: createdAfter });
    ctx.record({
      name: 'delivery-worker CPU per email',
      unit: 'µs/email',
      value: cpu.micros / emails,
    });
    ctx.record({ name: 'delivery-worker peak RSS', unit: 'MiB', value: rss.peakBytes / MiB });
    ctx.record({ name: 'delivery-worker mean RSS', unit: 'MiB', value: rss.meanBytes / MiB });
  },
});
