import { createTestDeps, type TestDeps } from '@conveyor/service-kit/testing';
import type { SQLWrapper } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNotificationsRepository,
  inboxCountQuery,
  inboxPageQuery,
  unreadCountQuery,
  type NotificationsRepository,
} from '../../src/plugins/notifications-repository.js';
import { loadConfig, type Config } from '../../src/config.js';

let deps: TestDeps<Config>;
let repository: NotificationsRepository;
const target = 'heavy-user';

beforeAll(async () => {
  deps = await createTestDeps(loadConfig);
  repository = createNotificationsRepository(deps.db.db);
  const { sql } = deps.db;
  // 20 000 rows of 200 other users, and 1 000 of the target mixing read state and priority.
  await sql`insert into users (id, role)
    select 'other-' || g, 'VIEWER'::user_role from generate_series(1, 200) g
    union all select ${target}, 'CREATOR'::user_role`;
  await sql`insert into notifications (user_id, type, title, message, priority, read, created_at)
    select 'other-' || (g % 200 + 1), 'SYSTEM', 't', 'm',
      (array['LOW','MEDIUM','HIGH','URGENT'])[g % 4 + 1]::notification_priority,
      g % 3 = 0, now() - g * interval '1 minute'
    from generate_series(1, 20000) g`;
  await sql`insert into notifications (user_id, type, title, message, priority, read, created_at)
    select ${target}, (array['SYSTEM','PAYOUT','BLOG'])[g % 3 + 1]::notification_type, 't', 'm',
      (array['LOW','MEDIUM','HIGH','URGENT'])[g % 4 + 1]::notification_priority,
      g % 5 = 0, now() - g * interval '1 minute'
    from generate_series(1, 1000) g`;
  // Fresh statistics, and a visibility map so index-only scans need no heap visit.
  await sql`vacuum analyze notifications`;
});
afterAll(async () => {
  await deps.cleanup();
});

/** The plan PostgreSQL picks for a drizzle query, with its bound parameters. */
async function planOf(query: SQLWrapper & { toSQL: () => { sql: string; params: unknown[] } }) {
  const { sql: text, params } = query.toSQL();
  const rows = await deps.db.sql.unsafe(`explain ${text}`, params as never[]);
  return rows.map((row) => row['QUERY PLAN'] as string).join('\n');
}

describe('the inbox queries on 1 000 of a user’s rows among 20 000 others', () => {
  it('finds a page’s ids by an index-only scan of notifications_inbox_idx, sorting nothing more', async () => {
    const filters = [
      {},
      { read: false },
      { read: true },
      { read: false, priority: 'HIGH' as const },
    ];
    // Page 1, and a deep page that skips most of the user's rows.
    const cases = filters.flatMap((filter) => [1, 40].map((page) => ({ filter, page })));
    for (const { filter, page } of cases) {
      const plan = await planOf(
        inboxPageQuery(deps.db.db, target, filter, { limit: 20, offset: (page - 1) * 20 }),
      );
      const label = `${JSON.stringify(filter)} page ${page}\n${plan}`;
      expect(plan, label).toMatch(/Index Only Scan using notifications_inbox_idx/);
      expect(plan, label).toMatch(/Index Scan using notifications_pkey/);
      expect(plan, label).not.toMatch(/Seq Scan|Bitmap/);
      // Only the page itself is put in order again, at the top of the plan.
      expect(
        plan.split('\n').filter((line) => /Sort\b/.test(line) && !/Sort Key/.test(line)),
        label,
      ).toEqual([expect.stringMatching(/^Sort /)]);
    }
  });

  it('counts the list’s total with an index-only scan', async () => {
    const plan = await planOf(inboxCountQuery(deps.db.db, target, { read: false }));
    expect(plan).toMatch(/Index Only Scan using notifications_(inbox|unread)_idx/);
    expect(plan).not.toMatch(/Seq Scan/);
  });

  it('counts unread notifications from the partial notifications_unread_idx alone', async () => {
    const plan = await planOf(unreadCountQuery(deps.db.db, target));
    expect(plan).toMatch(/Index Only Scan using notifications_unread_idx/);
    expect(plan).not.toMatch(/Seq Scan|Heap/);
  });

  it('answers the same totals and order the plans promise', async () => {
    expect(await repository.countUnread(target)).toBe(800);
    const { rows, total } = await repository.list(target, {}, { page: 1, pageSize: 100 });
    expect(total).toBe(1000);
    const keys = rows.map((row) => [Number(row.read), -row.priorityRank, -row.createdAt.getTime()]);
    const sorted = [...keys].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!);
    expect(keys).toEqual(sorted);
  });
});
