import { QueueName } from '@conveyor/queue-contracts';
import { freePort } from '@conveyor/test-harness/ports';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { defineBenchmark } from '../harness/definition.js';
import { hourOf, hourWithRoom, zoneWithNineAt } from '../digest-clock.js';
import { seedDigestUsers } from '../digest-seed.js';
import { startMailSink } from '../mail-sink.js';
import { appEntry, appEnv, benchConfig, ownDatabase, ownPrefix } from '../platform.js';
import { getText, phaseTimeoutMs, secondsSince, until } from '../polling.js';
import { startBackendCpuMeter } from '../postgres-cpu.js';
import { histogramTotals, sampleTotal } from '../prometheus.js';
import { measureRawSmtp } from '../smtp-baseline.js';

/** Unread notifications of each user, all in the window of the run. */
const perUser = 10;
/** Raw SMTP emails sent first, unmeasured, as in the delivery benchmark. */
const warmUp = 500;
/**
 * The digest-worker's defaults (apps/digest-worker/src/config.ts), passed explicitly so that
 * the figures say what ran and the baseline's pool is sure to be the worker's;
 * BENCH_SMTP_POOL_SIZE tries another pool.
 */
const workerDefaults = { chunkSize: 500, concurrency: 2, smtpPoolSize: 5 } as const;
/** Seeding, the baseline and the worker's start must fit in the hour the users are due in. */
const hourMarginMs = 3 * 60_000;
const domain = 'digest.bench.test';
const MiB = 2 ** 20;

export default defineBenchmark({
  name: 'digest',
  description:
    "A DAILY digest run for 20 000 users with 10 unread notifications each, from the digest-worker's tick until the last email is accepted by a local SMTP server, against raw SMTP (the same number of emails through nodemailer, same pool size) in the same run.",
  async run(ctx) {
    const config = benchConfig();
    const users = config.BENCH_DIGEST_USERS;
    const smtpPoolSize = config.BENCH_SMTP_POOL_SIZE ?? workerDefaults.smtpPoolSize;
    const database = await ownDatabase(ctx, config);
    const prefix = ownPrefix(ctx, config);
    const sql = postgres(database.url, { max: 2, onnotice: () => undefined });
    ctx.defer(() => sql.end({ timeout: 5 }));

    // The worker runs on the real clock: the users are made due in the current UTC hour, and
    // `digest_ticks` stays empty, so the tick plans exactly this hour.
    const hour = await hourWithRoom(hourMarginMs, ctx.log);
    const zone = zoneWithNineAt(hour);
    const seedStarted = performance.now();
    await seedDigestUsers(sql, {
      users,
      perUser,
      idPrefix: 'bench-digest-user-',
      domain,
      zone,
      hour,
    });
    const seedSeconds = secondsSince(seedStarted);
    ctx.log(
      `seeded ${users} users in ${zone} (09:00 at ${hour.toISOString()}) and ${users * perUser} notifications in ${seedSeconds.toFixed(1)} s`,
    );

    const sink = await startMailSink(ctx);
    const smtpRate = await measureRawSmtp(ctx, sink, {
      emails: users,
      warmUp,
      poolSize: smtpPoolSize,
    });
    ctx.log(`raw SMTP: ${Math.round(smtpRate)} emails/s`);

    // The worker enqueues its tick as it starts, before it answers /readyz. With the queue
    // paused the tick waits, so the run is timed (and the worker's CPU and RSS measured) from
    // the tick, without the process's start-up; resuming is what the hourly scheduler's job
    // arriving would be.
    const connection = new Redis(config.BENCH_REDIS_URL, { maxRetriesPerRequest: 1 });
    const queue = new Queue(QueueName.notificationDigest, { connection, prefix });
    queue.on('error', (error) => ctx.log(`digest queue error: ${error.message}`));
    ctx.defer(async () => {
      await queue.close();
      connection.disconnect();
    });
    await queue.pause();

    const workerPort = await freePort();
    const workerOrigin = `http://127.0.0.1:${workerPort}`;
    const workerStarted = performance.now();
    const worker = await ctx.startService({
      entry: appEntry('digest-worker'),
      env: {
        ...appEnv(config, database, prefix),
        PORT: String(workerPort),
        SMTP_URL: sink.smtpUrl,
        SMTP_POOL_SIZE: String(smtpPoolSize),
        DIGEST_CHUNK_SIZE: String(workerDefaults.chunkSize),
        DIGEST_CONCURRENCY: String(workerDefaults.concurrency),
      },
      readyUrl: `${workerOrigin}/readyz`,
    });
    const readyAfter = secondsSince(workerStarted);
    if (hourOf(new Date()).getTime() !== hour.getTime()) {
      throw new Error(`the UTC hour ended before the tick (seeded for ${hour.toISOString()})`);
    }

    const memory = ctx.memory(worker.pid, 100);
    const workerCpu = ctx.cpu(worker.pid);
    const sinkCpu = ctx.cpu(sink.pid);
    const postgresCpu = await startBackendCpuMeter(sql, 'digest-worker');
    const resumedAt = Date.now();
    const startedAt = performance.now();
    await queue.resume();
    // A run slower than a quarter of the SMTP limit is far below the target: give up on it then.
    const accepted = await sink.whenAccepted(
      domain,
      users,
      'every digest to be accepted by the SMTP sink',
      Math.max(phaseTimeoutMs, ((4 * users) / smtpRate) * 1000),
    );
    const deliveredAfter = secondsSince(startedAt);
    const cpu = workerCpu.stop();
    const sinkCpuDuringRun = sinkCpu.stop();
    const rss = memory.stop();
    const backendCpu = await postgresCpu.stop();
    // What the RSS is made of at the end: V8's heap (live or not yet collected) or buffers.
    const metricsUrl = `${workerOrigin}/metrics`;
    const endText = await getText(metricsUrl);
    const workerMemoryAtEnd = Object.fromEntries(
      [
        'process_resident_memory_bytes',
        'nodejs_heap_size_total_bytes',
        'nodejs_heap_size_used_bytes',
        'nodejs_external_memory_bytes',
      ].map((name) => [name, sampleTotal(endText, name)]),
    );
    if (accepted.messages !== users || accepted.recipients !== users) {
      throw new Error(
        `${accepted.messages} digests to ${accepted.recipients} recipients, not one to each of ${users}`,
      );
    }

    // The rows are marked `sent` just after the relay's 250, and a chunk's metrics follow its
    // last mark: wait for both before reading them.
    await until('every digest to be marked sent', async () => {
      const [row] = await sql<{ sent: number }[]>`
        select count(*)::int as sent from digest_deliveries where status = 'sent'`;
      return row?.sent === users;
    });
    const [run] = await sql<{ usersSelected: number; digestsPlanned: number; chunks: number }[]>`
      select users_selected as "usersSelected", digests_planned as "digestsPlanned", chunks
      from digest_runs where frequency = 'DAILY' and scheduled_for = ${hour.toISOString()}`;
    if (!run) throw new Error(`no DAILY run was planned for ${hour.toISOString()}`);
    const metrics = async () => {
      const text = await getText(metricsUrl);
      return {
        postgres: histogramTotals(text, 'digest_chunk_postgres_seconds'),
        chunk: histogramTotals(text, 'digest_chunk_seconds'),
      };
    };
    let chunkMetrics = await metrics();
    await until('every chunk job to record its metrics', async () => {
      chunkMetrics = await metrics();
      return chunkMetrics.postgres.count >= run.chunks && chunkMetrics.chunk.count >= run.chunks;
    });

    // A benchmark of a broken run must fail: one digest per user, sent, listing all ten.
    const [check] = await sql<{ rows: number; sent: number; listed: number }[]>`
      select count(*)::int as rows, (count(*) filter (where status = 'sent'))::int as sent,
        coalesce(sum(notification_count), 0)::int as listed
      from digest_deliveries`;
    if (check?.rows !== users || check.sent !== users || check.listed !== users * perUser) {
      throw new Error(
        `digest_deliveries holds ${JSON.stringify(check)}, not ${users} rows sent listing ${users * perUser} notifications`,
      );
    }

    const tick = (await queue.getJobs(['completed'])).find((job) => job.name === 'digest.tick');
    if (!tick?.processedOn || !tick.finishedOn) throw new Error('no completed digest.tick job');
    const tickSeconds = (tick.finishedOn - tick.processedOn) / 1000;

    const digestRate = users / deliveredAfter;
    const postgresPerChunk = chunkMetrics.postgres.sum / chunkMetrics.postgres.count;
    const secondsPerChunk = chunkMetrics.chunk.sum / chunkMetrics.chunk.count;
    ctx.log(
      `digest: ${Math.round(digestRate)} emails/s (tick planned in ${tickSeconds.toFixed(2)} s, all accepted after ${deliveredAfter.toFixed(2)} s; ${run.chunks} chunks, ${postgresPerChunk.toFixed(3)} s of PostgreSQL each)`,
    );
    ctx.detail('digest', {
      users,
      perUser,
      zone,
      hour: hour.toISOString(),
      seedSeconds,
      ...workerDefaults,
      smtpPoolSize,
      workerReadyAfterSeconds: readyAfter,
      tickStartedAfterResumeMs: tick.processedOn - resumedAt,
      tickSeconds,
      tickResult: tick.returnvalue as unknown,
      deliveredAfterSeconds: deliveredAfter,
      run,
      chunkMetrics,
      workerCpu: cpu,
      sinkCpu: sinkCpuDuringRun,
      postgresBackendCpu: backendCpu,
      workerRss: rss,
      workerMemoryAtEnd,
    });
    ctx.detail('baselines', { rawSmtpEmailsPerSecond: smtpRate, rawSmtpWarmUp: warmUp });

    ctx.record({
      name: 'digest emails/s (tick to last SMTP 250)',
      unit: 'emails/s',
      value: digestRate,
      baseline: { label: 'raw SMTP', value: smtpRate },
      target: { min: 0.5 },
    });
    ctx.record({ name: 'raw SMTP emails/s', unit: 'emails/s', value: smtpRate });
    ctx.record({ name: 'tick (planning the run)', unit: 's', value: tickSeconds });
    ctx.record({ name: 'chunks', unit: 'chunks', value: chunkMetrics.postgres.count });
    ctx.record({
      name: 'PostgreSQL time per chunk (mean, concurrent sends summed)',
      unit: 's',
      value: postgresPerChunk,
    });
    ctx.record({ name: 'chunk job time (mean)', unit: 's', value: secondsPerChunk });
    ctx.record({
      name: 'digest-worker CPU per email',
      unit: 'µs/email',
      value: cpu.micros / users,
    });
    ctx.record({
      name: "PostgreSQL CPU per email (the worker's backends)",
      unit: 'µs/email',
      value: backendCpu.micros / users,
    });
    ctx.record({ name: 'digest-worker peak RSS', unit: 'MiB', value: rss.peakBytes / MiB });
    ctx.record({ name: 'digest-worker mean RSS', unit: 'MiB', value: rss.meanBytes / MiB });
  },
});
