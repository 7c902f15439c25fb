import { jobRuns } from '@conveyor/db/schema';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { as, sleepJob, startAdmin, type TestAdmin } from '../../helpers/jobs-fixtures.js';

let t: TestAdmin;

const ROWS = 100_000;
/** The one row whose error text holds the word searched for. */
const NEEDLE = 77_777;

beforeAll(async () => {
  t = await startAdmin();
  // One statement: every fifth job failed with a common error text, one with a rare word.
  await t.deps.db.db.execute(sql`
    insert into job_runs (queue, job_id, name, state, failed_reason, payload_summary, created_at)
    select ${sleepJob.queue}, 'bulk-' || i, 'bulk.job',
      (case when i % 5 = 0 or i = ${NEEDLE} then 'failed' else 'completed' end)::job_state,
      case
        when i = ${NEEDLE} then 'Mailbox quarantined by the zeta filter'
        when i % 5 = 0 then 'connection timeout after ' || i || ' ms'
      end,
      jsonb_build_object('recipient', 'user-' || (i % 1000)),
      now() - i * interval '1 second'
    from generate_series(1, ${ROWS}) as i`);
  await t.deps.db.db.execute(sql`analyze job_runs`);
}, 120_000);
afterAll(async () => {
  await t.close();
});

it('finds a job by a word of its error text among 100 000 rows in under 100 ms', async () => {
  const url = '/api/admin/jobs/jobs?q=quarantined';
  await as(t.app, 'root').get(url);

  const started = performance.now();
  const response = await as(t.app, 'root').get(url);
  const elapsed = performance.now() - started;

  expect(response.statusCode).toBe(200);
  expect(response.json<{ data: { jobId: string }[] }>().data.map((job) => job.jobId)).toStrictEqual(
    [`bulk-${NEEDLE}`],
  );
  console.info(`search by error text over ${ROWS} rows: ${elapsed.toFixed(1)} ms`);
  expect(elapsed).toBeLessThan(100);
});

it('reads the full-text GIN index for it', async () => {
  const plan = await t.deps.db.db.execute<{ 'QUERY PLAN': string }>(sql`
    explain select job_id from job_runs
    where ${jobRuns.searchDocument} @@ websearch_to_tsquery('simple', 'quarantined')`);
  expect(plan.map((line) => line['QUERY PLAN']).join('\n')).toContain('job_runs_search_idx');
});
