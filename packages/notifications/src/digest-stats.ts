import type { Database } from '@conveyor/db/client';
import { digestDeliveries, digestRuns } from '@conveyor/db/schema';
import { desc, eq, sql } from 'drizzle-orm';

/** One DAILY or WEEKLY run, with what became of its digests. */
export interface DigestRunSummary {
  /** The hour the run was planned for (ISO 8601). */
  scheduledFor: string;
  usersSelected: number;
  digestsPlanned: number;
  sent: number;
  skipped: number;
  failed: number;
  /** Digests still waiting or being sent. */
  open: number;
  finishedAt?: string;
}

/**
 * The digest side of spec 002's notification stats (`lastDailyRun`, `nextDailyRun`, …), plus
 * the latest run of each frequency with its counts. A "run" is the hour whose local 09:00
 * (Monday for WEEKLY) belongs to at least one zone in use; with every user on the default
 * zone that is exactly the spec's 09:00 UTC schedule.
 */
export interface DigestStats {
  lastDailyRun?: string;
  lastWeeklyRun?: string;
  nextDailyRun?: string;
  nextWeeklyRun?: string;
  latest: { DAILY?: DigestRunSummary; WEEKLY?: DigestRunSummary };
}

type Frequency = 'DAILY' | 'WEEKLY';

async function latestRun(db: Database, frequency: Frequency) {
  const [run] = await db
    .select()
    .from(digestRuns)
    .where(eq(digestRuns.frequency, frequency))
    .orderBy(desc(digestRuns.scheduledFor))
    .limit(1);
  if (!run) return undefined;
  const statuses = await db
    .select({ status: digestDeliveries.status, count: sql<number>`count(*)::int` })
    .from(digestDeliveries)
    .where(eq(digestDeliveries.runId, run.id))
    .groupBy(digestDeliveries.status);
  const countOf = (...wanted: string[]) =>
    statuses.filter((row) => wanted.includes(row.status)).reduce((sum, row) => sum + row.count, 0);
  const summary: DigestRunSummary = {
    scheduledFor: run.scheduledFor.toISOString(),
    usersSelected: run.usersSelected,
    digestsPlanned: run.digestsPlanned,
    sent: countOf('sent'),
    skipped: countOf('skipped'),
    failed: countOf('failed'),
    open: countOf('pending', 'sending'),
    ...(run.finishedAt ? { finishedAt: run.finishedAt.toISOString() } : {}),
  };
  return summary;
}

/**
 * The next run the hourly tick will plan: the first tick at or after the next local 09:00 (on
 * its Monday for WEEKLY) of any zone in use for `frequency`, UTC always counting.
 */
async function nextRun(db: Database, frequency: Frequency, now: Date): Promise<string | undefined> {
  const daysAhead =
    frequency === 'DAILY'
      ? sql`case when local.at::time < time '09:00' then 0 else 1 end`
      : sql`case when extract(isodow from local.at) = 1 and local.at::time < time '09:00' then 0
             else (8 - extract(isodow from local.at)::int) % 7
               + case when extract(isodow from local.at) = 1 then 7 else 0 end end`;
  const rows = await db.execute<{ next: string | null }>(sql`
    select min(date_trunc('hour',
      ((local.at::date + ${daysAhead}) + time '09:00') at time zone zone.timezone
        - interval '1 microsecond') + interval '1 hour')::text as next
    from (
      select timezone from notification_preferences
      where digest_frequency = ${frequency} and email_enabled
      union select 'UTC'
    ) zone
    cross join lateral (select ${now.toISOString()}::timestamptz at time zone zone.timezone as at) local`);
  const next = rows[0]?.next;
  return next ? new Date(next).toISOString() : undefined;
}

export async function digestStats(db: Database, now: Date = new Date()): Promise<DigestStats> {
  const [daily, weekly, nextDaily, nextWeekly] = await Promise.all([
    latestRun(db, 'DAILY'),
    latestRun(db, 'WEEKLY'),
    nextRun(db, 'DAILY', now),
    nextRun(db, 'WEEKLY', now),
  ]);
  return {
    ...(daily ? { lastDailyRun: daily.scheduledFor } : {}),
    ...(weekly ? { lastWeeklyRun: weekly.scheduledFor } : {}),
    ...(nextDaily ? { nextDailyRun: nextDaily } : {}),
    ...(nextWeekly ? { nextWeeklyRun: nextWeekly } : {}),
    latest: {
      ...(daily ? { DAILY: daily } : {}),
      ...(weekly ? { WEEKLY: weekly } : {}),
    },
  };
}
