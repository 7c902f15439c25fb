import { freePort } from '@conveyor/test-harness/ports';
import postgres from 'postgres';
import { defineBenchmark } from '../harness/definition.js';
import { measureLatency, summarize, type LatencySummary } from '../harness/latency.js';
import { appEntry, appEnv, benchConfig, ownDatabase, ownPrefix, tokenFor } from '../platform.js';

const totalRows = 1_000_000;
const userRows = 10_000;
/** Other owners of the remaining 990 000 rows, 1 000 each. */
const otherUsers = 990;
const userId = 'inbox-bench-user';
/** The list's first page in its default order and size (spec 001: 20). */
const pageSize = 20;
/** Seconds of sequential requests per measurement, scaled by BENCH_DURATION_SCALE. */
const measureSeconds = 5;

type Sql = ReturnType<typeof postgres>;

/**
 * Loads the table in one INSERT … SELECT over generate_series. Maintaining five B-trees row by
 * row (one keyed on random UUIDs) and checking the foreign key row by row are most of the cost
 * of such a load, so the indexes and the primary and foreign keys are dropped first and made
 * again afterwards from their own definitions (pg_indexes, pg_get_constraintdef): several times
 * faster, and the same table in the end. The user's rows are every hundredth row,
 * spread over the table and over time as a real inbox is; 30 % of the user's rows (and of all
 * rows) are unread, and every type and priority is present (`g + g / 100` mixes the
 * hundredths in, so the user's rows vary too). VACUUM (ANALYZE) then gives the planner its statistics and sets the
 * visibility map that index-only scans need, as autovacuum does on a live table.
 */
async function loadTable(sql: Sql): Promise<void> {
  await sql`
    insert into users (id, role)
    select 'inbox-bench-other-' || g, 'VIEWER'::user_role from generate_series(1, ${otherUsers}) as g
    union all select ${userId}, 'VIEWER'::user_role`;
  const constraints = await sql<{ conname: string; definition: string }[]>`
    select conname, pg_get_constraintdef(oid) as definition from pg_constraint
    where conrelid = 'notifications'::regclass and contype in ('p', 'f')`;
  const indexes = await sql<{ indexdef: string }[]>`
    select indexdef from pg_indexes
    where schemaname = 'public' and tablename = 'notifications'
      and indexname not in (select conname from pg_constraint where conrelid = 'notifications'::regclass)`;
  for (const { conname } of constraints) {
    await sql`alter table notifications drop constraint ${sql(conname)}`;
  }
  for (const { indexdef } of indexes) {
    await sql.unsafe(`drop index ${/^CREATE (?:UNIQUE )?INDEX (\S+)/.exec(indexdef)![1]}`);
  }
  await sql`
    insert into notifications
      (user_id, type, title, message, priority, read, read_at, email_status, created_at)
    select
      case when g % 100 = 0 then ${userId} else 'inbox-bench-other-' || (g % ${otherUsers} + 1) end,
      (enum_range(null::notification_type))[g % 9 + 1],
      'Notification ' || g,
      'The message of notification ' || g || ', about as long as a real one is.',
      (enum_range(null::notification_priority))[(g + g / 100) % 4 + 1],
      (g + g / 100) % 10 < 7,
      case when (g + g / 100) % 10 < 7 then now() - make_interval(secs => g) end,
      'sent',
      now() - make_interval(secs => g)
    from generate_series(1, ${totalRows}) as g`;
  // The foreign key is checked again here, in one pass, instead of once per row.
  for (const { conname, definition } of constraints) {
    await sql.unsafe(`alter table notifications add constraint ${conname} ${definition}`);
  }
  for (const { indexdef } of indexes) await sql.unsafe(indexdef);
  await sql`vacuum (analyze) notifications`;
  await sql`vacuum (analyze) users`;
}

/** The list's two queries as the service runs them for a full first page (repository code). */
const displayOrder =
  'read asc, priority_rank desc nulls last, created_at desc nulls last, id desc nulls last';
const listPageSql = `
  select n.* from notifications n
  join (select id from notifications where user_id = $1
        order by ${displayOrder} limit $2 offset $3) as page_ids on n.id = page_ids.id
  order by ${displayOrder.replaceAll(/(^|, )/g, '$1n.')}`;
const listTotalSql = 'select count(*) from notifications where user_id = $1';
const unreadSql = 'select count(*) from notifications where user_id = $1 and read = false';

/** Round-trip time of raw SQL from this process, one statement at a time, prepared. */
async function measureSql(
  sql: Sql,
  statements: Array<{ text: string; params: Array<string | number> }>,
  seconds: number,
): Promise<LatencySummary> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline && latencies.length < 100_000) {
    const started = performance.now();
    for (const { text, params } of statements) await sql.unsafe(text, params, { prepare: true });
    latencies.push(performance.now() - started);
  }
  return summarize(latencies);
}

export default defineBenchmark({
  name: 'inbox',
  description:
    "The list (first page, default order) and the unread count of a user with 10 000 notifications in a table of 1 000 000, through notifications-svc's HTTP API and as raw SQL, one request at a time.",
  async run(ctx) {
    const config = benchConfig();
    const database = await ownDatabase(ctx, config);
    const prefix = ownPrefix(ctx, config);
    const sql = postgres(database.url, { max: 1, onnotice: () => undefined });
    ctx.defer(() => sql.end({ timeout: 5 }));

    const loadStarted = performance.now();
    await loadTable(sql);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const [counts] = await sql<{ total: number; mine: number; unread: number }[]>`
      select count(*)::int as total,
        count(*) filter (where user_id = ${userId})::int as mine,
        count(*) filter (where user_id = ${userId} and not read)::int as unread
      from notifications`;
    if (counts?.total !== totalRows || counts.mine !== userRows) {
      throw new Error(
        `loaded ${JSON.stringify(counts)}, not ${totalRows} rows with ${userRows} of the user's`,
      );
    }
    ctx.log(
      `loaded ${totalRows} rows in ${loadSeconds.toFixed(1)} s (${counts.unread} of the user's unread)`,
    );

    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    await ctx.startService({
      entry: appEntry('notifications-svc'),
      env: { ...appEnv(config, database, prefix), PORT: String(port) },
      readyUrl: `${origin}/readyz`,
    });
    const headers = { authorization: `Bearer ${tokenFor(userId, 'VIEWER')}` };
    const listUrl = `${origin}/api/notifications`;
    const unreadUrl = `${origin}/api/notifications/unread-count`;

    // The answers are the user's: a full first page of the 10 000, and the unread count.
    const list = (await (await fetch(listUrl, { headers })).json()) as {
      data: unknown[];
      pagination: { total: number };
    };
    const unread = (await (await fetch(unreadUrl, { headers })).json()) as {
      data: { count: number };
    };
    if (list.data.length !== pageSize || list.pagination.total !== userRows) {
      throw new Error(`the list answered ${list.data.length} rows of ${list.pagination.total}`);
    }
    if (unread.data.count !== counts.unread) {
      throw new Error(`the unread count answered ${unread.data.count}, not ${counts.unread}`);
    }

    // Warm-up: JIT (a fresh service spends a quarter of its CPU compiling in its first
    // seconds), the service's connection pool, PostgreSQL's buffers for both queries.
    for (const url of [listUrl, unreadUrl]) {
      await measureLatency({ url, headers, durationSeconds: 5 });
    }
    const seconds = ctx.seconds(measureSeconds);
    const http = {
      list: await measureLatency({ url: listUrl, headers, durationSeconds: seconds }),
      unread: await measureLatency({ url: unreadUrl, headers, durationSeconds: seconds }),
    };
    for (const [label, summary] of Object.entries(http)) {
      if (summary.non2xx > 0) throw new Error(`${label}: ${summary.non2xx} answers not 2xx`);
    }
    const raw = {
      list: await measureSql(
        sql,
        [
          { text: listPageSql, params: [userId, pageSize, 0] },
          { text: listTotalSql, params: [userId] },
        ],
        seconds,
      ),
      unread: await measureSql(sql, [{ text: unreadSql, params: [userId] }], seconds),
    };
    // Under concurrency, for context: 10 callers at once, each summary in whole milliseconds.
    const concurrent = {
      list: await ctx.load({
        url: listUrl,
        headers,
        connections: 10,
        durationSeconds: ctx.seconds(3),
      }),
      unread: await ctx.load({
        url: unreadUrl,
        headers,
        connections: 10,
        durationSeconds: ctx.seconds(3),
      }),
    };
    const plans = {
      listPage: await sql.unsafe(`explain (analyze, buffers) ${listPageSql}`, [
        userId,
        pageSize,
        0,
      ]),
      listTotal: await sql.unsafe(`explain (analyze, buffers) ${listTotalSql}`, [userId]),
      unread: await sql.unsafe(`explain (analyze, buffers) ${unreadSql}`, [userId]),
    };
    ctx.detail('load', { rows: totalRows, userRows, unread: counts.unread, seconds: loadSeconds });
    ctx.detail('http', http);
    ctx.detail('rawSql', raw);
    ctx.detail('concurrent10', concurrent);
    ctx.detail(
      'plans',
      Object.fromEntries(
        Object.entries(plans).map(([name, rows]) => [
          name,
          rows.map((row) => (row as Record<string, string>)['QUERY PLAN']),
        ]),
      ),
    );

    for (const [name, label] of [
      ['list', 'list (first page)'],
      ['unread', 'unread count'],
    ] as const) {
      ctx.log(
        `${label}: HTTP p50 ${http[name].p50.toFixed(2)} ms, p99 ${http[name].p99.toFixed(2)} ms; raw SQL p50 ${raw[name].p50.toFixed(2)} ms, p99 ${raw[name].p99.toFixed(2)} ms`,
      );
      ctx.record({
        name: `${label} p50 over HTTP`,
        unit: 'ms',
        value: http[name].p50,
        baseline: { label: 'raw SQL', value: raw[name].p50 },
      });
      ctx.record({
        name: `${label} p99 over HTTP`,
        unit: 'ms',
        value: http[name].p99,
        baseline: { label: 'raw SQL', value: raw[name].p99 },
        target: { max: 10, on: 'value' },
      });
      ctx.record({
        name: `${label} p99 over HTTP, 10 callers at once`,
        unit: 'ms',
        value: concurrent[name].latencyMs.p99,
      });
      ctx.record({
        name: `${label} requests/s, 10 callers at once`,
        unit: 'req/s',
        value: concurrent[name].requestsPerSecond,
      });
    }
    ctx.record({ name: 'loading 1 000 000 rows', unit: 's', value: loadSeconds });
  },
});
