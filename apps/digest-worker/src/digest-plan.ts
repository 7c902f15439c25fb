import type { Database } from '@conveyor/db/client';
import { digestDeliveries, digestRuns, digestTicks } from '@conveyor/db/schema';
import { max, sql } from 'drizzle-orm';

/**
 * Planning: which hours to plan, and for each hour the DAILY and WEEKLY runs with one
 * `digest_deliveries` row per user who gets a digest. Everything here is set-based SQL: a run
 * of 100 000 users is a handful of statements, not a query per user.
 */

export type DigestFrequency = 'DAILY' | 'WEEKLY';
export const digestFrequencies: readonly DigestFrequency[] = ['DAILY', 'WEEKLY'];

const HOUR_MS = 3_600_000;

/** The start of the UTC hour `instant` falls in. */
export const hourOf = (instant: Date): Date =>
  new Date(Math.floor(instant.getTime() / HOUR_MS) * HOUR_MS);

/**
 * The hours a tick at `now` plans, oldest first: every hour after the last planned one, up to
 * the current one, but none older than `catchUpHours`; on a fresh database only the current
 * hour (no digests for the time before the platform ran).
 */
export function hoursToPlan(lastPlanned: Date | null, now: Date, catchUpHours: number): Date[] {
  const current = hourOf(now).getTime();
  if (lastPlanned === null) return [new Date(current)];
  const earliest = current - (catchUpHours - 1) * HOUR_MS;
  const first = Math.max(hourOf(lastPlanned).getTime() + HOUR_MS, earliest);
  const hours: Date[] = [];
  for (let hour = first; hour <= current; hour += HOUR_MS) hours.push(new Date(hour));
  return hours;
}

export async function lastPlannedHour(db: Database): Promise<Date | null> {
  const [row] = await db.select({ hour: max(digestTicks.hour) }).from(digestTicks);
  return row?.hour ?? null;
}

/** A run just planned, and the chunk jobs it needs. */
export interface PlannedRun {
  runId: string;
  frequency: DigestFrequency;
  usersSelected: number;
  digestsPlanned: number;
  chunks: number;
}

/**
 * The zones whose local 09:00 (on a Monday, for WEEKLY) falls in `(hour - 1 h, hour]`: the tick
 * at `hour` is the first at or after their 09:00, so every notification of the window already
 * exists when it runs (a zone on a half hour, like Asia/Kolkata, gets its 03:30 UTC digest from
 * the 04:00 tick, not early from the 03:00 one). With each zone's window: from the previous local 09:00 (a day, or a week, of local dates before)
 * to this one. Local dates, not 24-hour steps, so a DST day's window is 23 or 25 hours and
 * consecutive windows neither overlap nor leave a gap. UTC is always a candidate zone, so the
 * spec's 09:00 UTC run exists even before anyone chose the frequency.
 *
 * Why two candidate dates: the local date at `hour` and at `hour - 1 h` differ when local
 * midnight falls inside the hour, and 09:00 may be on either (zones 9 to 10 hours ahead).
 */
function dueZones(frequency: DigestFrequency, hourStart: Date) {
  const hour = hourStart.toISOString();
  const days = frequency === 'DAILY' ? 1 : 7;
  const mondaysOnly = frequency === 'WEEKLY' ? sql`and extract(isodow from local.day) = 1` : sql``;
  return sql`
    select distinct zone.timezone,
      (local.day + time '09:00') at time zone zone.timezone as window_end,
      ((local.day - ${days}::int) + time '09:00') at time zone zone.timezone as window_start
    from (
      select timezone from notification_preferences
      where digest_frequency = ${frequency} and email_enabled
      union select 'UTC'
    ) zone
    cross join lateral (
      values ((${hour}::timestamptz at time zone zone.timezone)::date),
             (((${hour}::timestamptz - interval '1 hour') at time zone zone.timezone)::date)
    ) local(day)
    where (local.day + time '09:00') at time zone zone.timezone
          > ${hour}::timestamptz - interval '1 hour'
      and (local.day + time '09:00') at time zone zone.timezone <= ${hour}::timestamptz
      ${mondaysOnly}`;
}

/**
 * Plans one frequency's run for `hour` inside the caller's transaction, or returns null when no
 * zone's 09:00 falls in the hour before it. The run row is unique per (frequency, hour), so a second
 * planner finds it there and plans nothing. Users with email on and that frequency are
 * selected; those with at least one unread notification of an enabled type in their window get
 * a delivery row, numbered into chunks of `chunkSize` in user order.
 */
async function planRun(
  tx: Database,
  frequency: DigestFrequency,
  hour: Date,
  chunkSize: number,
): Promise<PlannedRun | null> {
  const zones = await tx.execute<{ timezone: string }>(dueZones(frequency, hour));
  if (zones.length === 0) return null;

  const [run] = await tx
    .insert(digestRuns)
    .values({ frequency, scheduledFor: hour, usersSelected: 0, digestsPlanned: 0, chunks: 0 })
    .onConflictDoNothing()
    .returning({ id: digestRuns.id });
  if (!run) return null;

  const [counts] = await tx.execute<{ users_selected: number; digests_planned: number }>(sql`
    with due as (${dueZones(frequency, hour)}),
    selected as (
      select p.user_id, p.enabled_types, due.window_start, due.window_end
      from notification_preferences p
      join due on due.timezone = p.timezone
      where p.digest_frequency = ${frequency} and p.email_enabled
    ),
    with_content as (
      select s.*, row_number() over (order by s.user_id) - 1 as ordinal
      from selected s
      where exists (
        select 1 from notifications n
        where n.user_id = s.user_id and n.read = false
          and n.created_at >= s.window_start and n.created_at < s.window_end
          and n.type = any (s.enabled_types)
      )
    ),
    inserted as (
      insert into ${digestDeliveries}
        (run_id, chunk, user_id, frequency, window_start, window_end)
      select ${run.id}::uuid, ordinal / ${chunkSize}::int, user_id, ${frequency}::digest_frequency,
             window_start, window_end
      from with_content
      on conflict (user_id, frequency, window_end) do nothing
      returning 1
    )
    select (select count(*) from selected)::int as users_selected,
           (select count(*) from inserted)::int as digests_planned`);
  const usersSelected = counts?.users_selected ?? 0;
  const digestsPlanned = counts?.digests_planned ?? 0;
  const chunks = Math.ceil(digestsPlanned / chunkSize);

  await tx
    .update(digestRuns)
    .set({
      usersSelected,
      digestsPlanned,
      chunks,
      // A run with nothing to send is finished as soon as it is planned.
      ...(digestsPlanned === 0 ? { finishedAt: sql`now()` } : {}),
    })
    .where(sql`${digestRuns.id} = ${run.id}`);
  return { runId: run.id, frequency, usersSelected, digestsPlanned, chunks };
}

/**
 * Plans one hour, once: the tick row and the hour's runs commit together, so of two ticks for
 * the same hour (a duplicated scheduler, a retry, two instances) exactly one plans it, and a
 * crash leaves either the whole plan or none of it.
 */
export async function planHour(
  db: Database,
  hour: Date,
  chunkSize: number,
): Promise<PlannedRun[] | null> {
  return db.transaction(async (tx) => {
    const [claimed] = await tx
      .insert(digestTicks)
      .values({ hour })
      .onConflictDoNothing()
      .returning({ hour: digestTicks.hour });
    if (!claimed) return null;
    const runs: PlannedRun[] = [];
    for (const frequency of digestFrequencies) {
      const run = await planRun(tx, frequency, hour, chunkSize);
      if (run) runs.push(run);
    }
    return runs;
  });
}
