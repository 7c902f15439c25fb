import type postgres from 'postgres';

type Sql = ReturnType<typeof postgres>;

/** What the digest benchmark seeds: users due for their DAILY digest in one UTC hour. */
export interface DigestSeed {
  users: number;
  /** Unread notifications of each user, all inside the window that closes at `hour`. */
  perUser: number;
  /** `<idPrefix><n>` is user n's id. */
  idPrefix: string;
  /** The domain of every user's address, so the sink counts the digests apart. */
  domain: string;
  /** A zone where `hour` is 09:00 local (`zoneWithNineAt`). */
  zone: string;
  /** The UTC hour the run is due in. */
  hour: Date;
}

/**
 * Seeds the run in one INSERT … SELECT over generate_series per table (no per-row round trips):
 * users with addresses, DAILY preferences in the zone with every type enabled (the default),
 * and the unread notifications, created from 5 minutes to 10 hours before the hour (inside
 * the 24-hour window) with every type and priority, marked `digest` as rows waiting for their
 * digest are. VACUUM (ANALYZE) then gives the planner its statistics, as autovacuum does on a
 * live table, and a CHECKPOINT writes the load out now rather than during the measured run.
 */
export async function seedDigestUsers(sql: Sql, seed: DigestSeed): Promise<void> {
  const hour = seed.hour.toISOString();
  // The worker asks PostgreSQL's zone data, so this is the check that matters.
  const [local] = await sql<{ time: string }[]>`
    select to_char(${hour}::timestamptz at time zone ${seed.zone}, 'HH24:MI') as time`;
  if (local?.time !== '09:00') {
    throw new Error(`${seed.zone} is at ${local?.time} at ${hour}, not 09:00: no digest is due`);
  }
  await sql`
    insert into users (id, email, role)
    select ${seed.idPrefix} || g, 'user-' || g || '@' || ${seed.domain}, 'VIEWER'
    from generate_series(1, ${seed.users}) as g`;
  await sql`
    insert into notification_preferences (user_id, digest_frequency, timezone)
    select ${seed.idPrefix} || g, 'DAILY', ${seed.zone}
    from generate_series(1, ${seed.users}) as g`;
  // Row g is user g % users + 1's (g / users)-th: `perUser` each, their types and priorities
  // varying from one row to the next.
  await sql`
    insert into notifications
      (user_id, type, title, message, action_url, priority, email_status, created_at)
    select
      ${seed.idPrefix} || (g % ${seed.users} + 1),
      (enum_range(null::notification_type))[g % 9 + 1],
      'Notification ' || g,
      'The message of notification ' || g || ', about as long as a real one is.',
      case when g % 2 = 0 then '/projects/' || g end,
      (enum_range(null::notification_priority))[(g / ${seed.users}) % 4 + 1],
      'digest',
      ${hour}::timestamptz - make_interval(mins => 5 + g % 600)
    from generate_series(0, ${seed.users * seed.perUser - 1}) as g`;
  await sql`vacuum (analyze) users, notification_preferences, notifications`;
  await sql`checkpoint`;
}
