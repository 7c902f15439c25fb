import { isQueueName, jobsOfQueue, queueNames } from '@conveyor/queue-contracts';
import { freePort } from '@conveyor/test-harness/ports';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { loadWithoutIndexes } from '../bulk-load.js';
import { defineBenchmark } from '../harness/definition.js';
import { measureLatency, summarize, type LatencySummary } from '../harness/latency.js';
import {
  appEnv,
  benchConfig,
  fixtureEntry,
  ownDatabase,
  ownPrefix,
  startApp,
  tokenFor,
} from '../platform.js';
import { getJson } from '../polling.js';

const totalRows = 1_000_000;
const owners = 10_000;
/** Queues of the registry and of Redis: the platform's, then more, to make ten busy queues. */
const busyQueues = 10;
const moreQueues = [
  'report-export',
  'image-resize',
  'billing-sync',
  'audit-archive',
  'bounce-scan',
];
const allQueues = [
  ...queueNames,
  ...moreQueues.slice(0, Math.max(0, busyQueues - queueNames.length)),
];
/** A job name per queue, in the same order: the catalog's first job of the queue. */
const jobNames = allQueues.map((queue) =>
  isQueueName(queue) ? (jobsOfQueue(queue)[0]?.name ?? `${queue}.run`) : `${queue}.run`,
);
/**
 * Error texts of failed jobs, each with a word of its own that the search looks for (the
 * `simple` configuration lowercases it), and figures that vary from row to row.
 */
const errorTexts = [
  `'SMTP timeout after 30000 ms talking to mx' || (g % 50) || '.example.net'`,
  `'connect ECONNREFUSED 10.0.' || (g % 256) || '.7:6379'`,
  `'Quota exceeded for tenant t-' || (g % 997) || ': 429 Too Many Requests'`,
  `'Malformed payload: field recipient of message m-' || g || ' is not an email address'`,
  `'Upstream answered 503 Service Unavailable on attempt ' || (g % 5 + 1)`,
  `'Template render failed: unknown variable unsubscribeLink in layout l-' || (g % 40)`,
  `'Webhook signature rejected by receiver h-' || (g % 300) || ' (clock skew ' || (g % 90) || ' s)'`,
  `'Thumbnail decoder crashed: unsupported codec hevc in upload u-' || g`,
];
/** One word of each error text, as an admin would type it. */
const errorWords = [
  'timeout',
  'ECONNREFUSED',
  'quota',
  'malformed',
  'unavailable',
  'unsubscribeLink',
  'signature',
  'hevc',
];
/** Requests of each measurement (a cap of seconds applies too), after a warm-up. */
const requests = 400;
const warmUpRequests = 100;
/** The issue's target for every query. */
const p99TargetMs = 50;
const MiB = 2 ** 20;

type Sql = ReturnType<typeof postgres>;

/**
 * The registry as a month of a busy platform leaves it, in one INSERT … SELECT over
 * generate_series with the indexes out of the way (`loadWithoutIndexes`): ten queues; 70 %
 * completed, 10 % failed with one of eight error texts, the rest waiting, active or delayed;
 * one job in twenty a system job (no owner, a counter id), the others run for one of 10 000
 * owners (hashed, about 100 jobs each) under a UUID id; created over 30 days in insertion
 * order, as rows arrive. VACUUM (ANALYZE) then does what autovacuum does on a live table.
 */
async function seedRegistry(sql: Sql): Promise<void> {
  await sql`set maintenance_work_mem = '512MB'`;
  await sql`
    insert into users (id, role)
    select 'bench-owner-' || g, 'VIEWER'::user_role from generate_series(1, ${owners}) as g`;
  const list = (values: readonly string[]) =>
    `array[${values.map((value) => `'${value}'`).join(', ')}]`;
  await loadWithoutIndexes(sql, 'job_runs', () =>
    sql.unsafe(`
      insert into job_runs (queue, job_id, name, owner_id, state, progress, attempts_made,
        max_attempts, payload_summary, result, failed_reason, stacktrace, started_at,
        finished_at, created_at, updated_at)
      select
        (${list(allQueues)})[q], case when system then g::text else md5('job-' || g)::uuid::text end,
        (${list(jobNames)})[q], owner, state,
        case when state = 'completed' then '100'::jsonb
             when state = 'active' then to_jsonb(g % 100) else '0'::jsonb end,
        case when state in ('waiting', 'delayed') then 0 when state = 'failed' then 5 else 1 end,
        5,
        jsonb_build_object('ownerId', owner, 'ref', 'ref-' || g,
          'kind', (array['email', 'push', 'report', 'preview', 'sync'])[g % 5 + 1]),
        case when state = 'completed' then jsonb_build_object('ok', true, 'ms', g % 900) end,
        case when state = 'failed' then
          case g / 10 % 8 ${errorTexts.map((text, index) => `when ${index} then ${text}`).join(' ')} end
        end,
        case when state = 'failed' then
          array['Error: see failed_reason', '    at run (worker.js:' || (g % 300) || ':9)']
        end,
        case when state in ('active', 'completed', 'failed') then created + interval '1 second' end,
        case when state in ('completed', 'failed') then created + make_interval(secs => 2 + g % 60) end,
        created, created
      from (
        select g, g % ${allQueues.length} + 1 as q, g % 20 = 0 as system,
          case when g % 20 <> 0 then 'bench-owner-' || (abs(hashtext('o' || g)) % ${owners} + 1) end
            as owner,
          (case when s < 70 then 'completed' when s < 80 then 'failed' when s < 88 then 'waiting'
                when s < 93 then 'active' else 'delayed' end)::job_state as state,
          now() - make_interval(secs => (${totalRows} - g) * 2.592) as created
        from (select g, abs(hashtext('s' || g)) % 100 as s
              from generate_series(1, ${totalRows}) as g) as numbered
      ) as rows`),
  );
  await sql`vacuum (analyze) job_runs`;
  await sql`vacuum (analyze) users`;
}

/** Round-trip time of one prepared statement from this process, one at a time. */
async function measureSql(
  sql: Sql,
  text: string,
  params: ReadonlyArray<readonly string[]>,
  count: number,
  seconds: number,
): Promise<LatencySummary> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (latencies.length < count && performance.now() < deadline) {
    const values = params[latencies.length % params.length]!;
    const started = performance.now();
    await sql.unsafe(text, [...values], { prepare: true });
    latencies.push(performance.now() - started);
  }
  return summarize(latencies);
}

/** The SQL the routes run, as drizzle writes it (src/jobs/search.ts, src/queues/throughput.ts). */
const searchDocument = `to_tsvector('simple', name || ' ' || coalesce(payload_summary::text, '') || ' ' || coalesce(failed_reason, ''))`;
const pageOf = (where: string) =>
  `select * from job_runs where ${where} order by created_at desc nulls last, job_id desc limit 20 offset 0`;
const countOf = (where: string) =>
  `select count(*) from (select 1 from job_runs where ${where} limit 10001) as matches`;
const pkSql = 'select * from job_runs where queue = $1 and job_id = $2';

export default defineBenchmark({
  name: 'admin',
  description:
    'admin-jobs-svc over a registry of 1 000 000 job_runs rows with 10 busy BullMQ queues: p50/p99 of queue stats, job search by state, owner and error text, and job detail, one request at a time, beside a primary-key lookup of the same rows in raw SQL.',
  async run(ctx) {
    const config = benchConfig();
    const database = await ownDatabase(ctx, config);
    const prefix = ownPrefix(ctx, config);
    const env = appEnv(config, database, prefix);
    const sql = postgres(database.url, { max: 1, onnotice: () => undefined });
    ctx.defer(() => sql.end({ timeout: 5 }));

    // The registry.
    const seedStarted = performance.now();
    await seedRegistry(sql);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const byState = await sql<{ state: string; rows: number }[]>`
      select state, count(*)::int as rows from job_runs group by state order by state`;
    const seeded = byState.reduce((sum, { rows }) => sum + rows, 0);
    if (seeded !== totalRows) throw new Error(`seeded ${seeded} rows, not ${totalRows}`);
    ctx.log(
      `seeded ${totalRows} job_runs rows (${byState.map(({ state, rows }) => `${state} ${rows}`).join(', ')}) in ${seedSeconds.toFixed(1)} s, with indexes and ANALYZE`,
    );

    // Busy queues: jobs in every state on all ten, and jobs flowing through them.
    const trafficPort = await freePort();
    const trafficUrl = `http://127.0.0.1:${trafficPort}/`;
    const trafficStarted = performance.now();
    await ctx.startService({
      entry: fixtureEntry('queue-traffic.ts'),
      env: {
        REDIS_URL: config.BENCH_REDIS_URL,
        BULL_PREFIX: prefix,
        QUEUES: allQueues.join(','),
        HOST: '127.0.0.1',
        PORT: String(trafficPort),
      },
      readyUrl: trafficUrl,
      readyTimeoutMs: 120_000,
    });
    const trafficSeedSeconds = (performance.now() - trafficStarted) / 1000;
    ctx.log(`${allQueues.length} queues filled in ${trafficSeedSeconds.toFixed(1)} s; jobs flow`);

    // The service, and what it is asked about.
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const service = await startApp(ctx, 'admin-jobs-svc', env, port);
    const memory = ctx.memory(service.pid, 100);
    const headers = { authorization: `Bearer ${tokenFor('bench-admin', 'ADMIN')}` };
    const api = `${origin}/api/admin/jobs`;

    const platform = [...queueNames];
    const registryJobs = await sql<{ queue: string; job_id: string }[]>`
      select queue, job_id from job_runs where queue = any(${platform})
      order by random() limit 500`;
    const ownerIds = Array.from(
      { length: 200 },
      (_, index) => `bench-owner-${((index * 4_999) % owners) + 1}`,
    );
    const redis = new Redis(config.BENCH_REDIS_URL, { maxRetriesPerRequest: 1 });
    const liveJobs: Array<{ queue: string; jobId: string }> = [];
    for (const name of platform) {
      const queue = new Queue(name, { connection: redis, prefix });
      for (const state of ['completed', 'failed', 'waiting', 'delayed'] as const) {
        for (const job of await queue.getJobs([state], 0, 9)) {
          if (job.id) liveJobs.push({ queue: name, jobId: job.id });
        }
      }
      await queue.close();
    }
    await redis.quit();
    const detailUrl = (queue: string, jobId: string) =>
      `${api}/jobs/${encodeURIComponent(queue)}/${encodeURIComponent(jobId)}`;
    const urls = {
      queueStats: [`${api}/queues`],
      byState: [`${api}/jobs?state=failed`],
      byOwner: ownerIds.map((id) => `${api}/jobs?ownerId=${id}`),
      byErrorText: errorWords.map((word) => `${api}/jobs?q=${encodeURIComponent(word)}`),
      detail: registryJobs.map((job) => detailUrl(job.queue, job.job_id)),
      detailLive: liveJobs.map((job) => detailUrl(job.queue, job.jobId)),
    };

    // The answers are what the registry and the queues hold.
    const get = async <T>(url: string) => {
      const response = await fetch(url, { headers });
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      return (await response.json()) as T;
    };
    type Page = {
      data: Array<{ state: string; ownerId: string | null }>;
      pagination: { total: number };
    };
    const stats = await get<{ data: Array<{ name: string; counts: Record<string, number> }> }>(
      urls.queueStats[0]!,
    );
    for (const queue of stats.data) {
      if (queue.counts.waiting! < 1_000 || queue.counts.completed! < 1_000)
        throw new Error(`queue ${queue.name} is not busy: ${JSON.stringify(queue.counts)}`);
    }
    const failed = await get<Page>(urls.byState[0]!);
    if (failed.data.length !== 20 || failed.data.some((job) => job.state !== 'failed'))
      throw new Error('the search by state did not answer a page of failed jobs');
    const mine = await get<Page>(urls.byOwner[0]!);
    if (mine.data.length === 0 || mine.data.some((job) => job.ownerId !== ownerIds[0]))
      throw new Error("the search by owner did not answer the owner's jobs");
    const matched = await get<Page>(urls.byErrorText[1]!);
    if (matched.data.length !== 20) throw new Error('the search by error text found no page');
    const detail = await get<{ data: { live: boolean } }>(urls.detail[0]!);
    const live = await get<{ data: { live: boolean } }>(urls.detailLive[0]!);
    if (detail.data.live || !live.data.live) throw new Error('job detail: live flags unexpected');
    ctx.log(
      `search totals: failed ≥ ${failed.pagination.total}, owner ${mine.pagination.total}, "${errorWords[1]}" ≥ ${matched.pagination.total}; ${registryJobs.length} registry jobs and ${liveJobs.length} live jobs for the detail`,
    );

    // Warm-up (JIT, pools, PostgreSQL's buffers), then each query one request at a time.
    const seconds = ctx.seconds(15);
    for (const url of Object.values(urls)) {
      await measureLatency({ url, headers, maxRequests: warmUpRequests, durationSeconds: seconds });
    }
    const pkParams = registryJobs.map((job) => [job.queue, job.job_id] as const);
    await measureSql(sql, pkSql, pkParams, warmUpRequests, seconds);
    const trafficBefore = await getJson<{ completed: number; failed: number }>(trafficUrl);
    const measureStarted = performance.now();
    const http: Record<keyof typeof urls, LatencySummary> = {
      queueStats: await measureLatency({
        url: urls.queueStats,
        headers,
        maxRequests: requests,
        durationSeconds: seconds,
      }),
      byState: await measureLatency({
        url: urls.byState,
        headers,
        maxRequests: requests,
        durationSeconds: seconds,
      }),
      byOwner: await measureLatency({
        url: urls.byOwner,
        headers,
        maxRequests: requests,
        durationSeconds: seconds,
      }),
      byErrorText: await measureLatency({
        url: urls.byErrorText,
        headers,
        maxRequests: requests,
        durationSeconds: seconds,
      }),
      detail: await measureLatency({
        url: urls.detail,
        headers,
        maxRequests: requests,
        durationSeconds: seconds,
      }),
      detailLive: await measureLatency({
        url: urls.detailLive,
        headers,
        maxRequests: requests,
        durationSeconds: seconds,
      }),
    };
    const pk = await measureSql(sql, pkSql, pkParams, requests, seconds);
    const trafficAfter = await getJson<{ completed: number; failed: number }>(trafficUrl);
    const measureSecondsTaken = (performance.now() - measureStarted) / 1000;
    const rss = memory.stop();
    for (const [label, summary] of Object.entries(http)) {
      if (summary.non2xx > 0) throw new Error(`${label}: ${summary.non2xx} answers not 2xx`);
    }
    const processedPerSecond =
      (trafficAfter.completed +
        trafficAfter.failed -
        trafficBefore.completed -
        trafficBefore.failed) /
      measureSecondsTaken;

    // The plans of the SQL behind each route, for the analysis.
    const sample = registryJobs[0]!;
    const plans: Record<string, string> = {
      byStatePage: pageOf(`state = 'failed'`),
      byStateCount: countOf(`state = 'failed'`),
      byOwnerPage: pageOf(`owner_id = '${ownerIds[0]}'`),
      byErrorTextPage: pageOf(
        `${searchDocument} @@ websearch_to_tsquery('simple', '${errorWords[1]}')`,
      ),
      byErrorTextCount: countOf(
        `${searchDocument} @@ websearch_to_tsquery('simple', '${errorWords[1]}')`,
      ),
      lastHour: `select queue, state, count(*)::int from job_runs where finished_at >= now() - interval '1 hour' and queue in (${platform.map((name) => `'${name}'`).join(', ')}) and state in ('completed', 'failed') group by queue, state`,
      primaryKey: `select * from job_runs where queue = '${sample.queue}' and job_id = '${sample.job_id}'`,
    };
    const explained: Record<string, string[]> = {};
    for (const [name, text] of Object.entries(plans)) {
      const rows = await sql.unsafe(`explain (analyze, buffers) ${text}`);
      explained[name] = rows.map((row) => (row as Record<string, string>)['QUERY PLAN']!);
    }

    ctx.detail('seed', {
      rows: totalRows,
      byState,
      seconds: seedSeconds,
      queueFillSeconds: trafficSeedSeconds,
    });
    ctx.detail('queues', { names: allQueues, processedPerSecond, stats: stats.data });
    ctx.detail('http', http);
    ctx.detail('primaryKeySql', pk);
    ctx.detail('serviceMemory', rss);
    ctx.detail('plans', explained);

    const labels: Record<keyof typeof urls, string> = {
      queueStats: `queue stats (${queueNames.length} queues)`,
      byState: 'search by state (failed)',
      byOwner: 'search by owner',
      byErrorText: 'search by error text',
      detail: 'job detail (registry)',
      detailLive: 'job detail (live in Redis)',
    };
    ctx.log(
      `primary key lookup (raw SQL): p50 ${pk.p50.toFixed(2)} ms, p99 ${pk.p99.toFixed(2)} ms`,
    );
    for (const [key, label] of Object.entries(labels) as Array<[keyof typeof urls, string]>) {
      const summary = http[key];
      ctx.log(
        `${label}: p50 ${summary.p50.toFixed(2)} ms, p99 ${summary.p99.toFixed(2)} ms, max ${summary.max.toFixed(2)} ms (${summary.requests} requests)`,
      );
      ctx.record({
        name: `${label} p50`,
        unit: 'ms',
        value: summary.p50,
        baseline: { label: 'PK lookup, raw SQL', value: pk.p50 },
      });
      ctx.record({
        name: `${label} p99`,
        unit: 'ms',
        value: summary.p99,
        baseline: { label: 'PK lookup, raw SQL', value: pk.p99 },
        target: { max: p99TargetMs, on: 'value' },
      });
    }
    ctx.record({ name: 'PK lookup, raw SQL p50', unit: 'ms', value: pk.p50 });
    ctx.record({ name: 'PK lookup, raw SQL p99', unit: 'ms', value: pk.p99 });
    ctx.record({ name: 'admin-jobs-svc peak RSS', unit: 'MiB', value: rss.peakBytes / MiB });
    ctx.record({ name: 'admin-jobs-svc mean RSS', unit: 'MiB', value: rss.meanBytes / MiB });
    ctx.record({
      name: 'jobs processed during the measurement',
      unit: 'jobs/s',
      value: processedPerSecond,
    });
    ctx.record({ name: 'seeding 1 000 000 registry rows', unit: 's', value: seedSeconds });
  },
});
