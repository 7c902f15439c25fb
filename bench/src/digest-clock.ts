/**
 * The digest-worker plans with the real clock: its tick sends the DAILY digests of the users
 * whose local 09:00 falls in the current UTC hour. The digest benchmark makes its users due now
 * by giving them a time zone where it is nine o'clock this hour.
 */

export const HOUR_MS = 3_600_000;

/** The start of the UTC hour `instant` falls in. */
export const hourOf = (instant: Date): Date =>
  new Date(Math.floor(instant.getTime() / HOUR_MS) * HOUR_MS);

/**
 * A fixed-offset IANA zone whose local time is 09:00 at `hour` (a UTC hour start): UTC+offset
 * with offset = 9 - hour, brought into -12…+11. The `Etc/GMT` zones have no DST, so the window
 * is exactly the 24 hours before; their POSIX sign is inverted (`Etc/GMT-9` is UTC+9).
 */
export function zoneWithNineAt(hour: Date): string {
  const offset = ((((9 - hour.getUTCHours() + 12) % 24) + 24) % 24) - 12;
  if (offset === 0) return 'UTC';
  return `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

/**
 * The current UTC hour, with at least `marginMs` of it left: closer to its end, waits for the
 * next hour to begin, so that seeding, the baseline and the tick all fall in the same hour.
 */
export async function hourWithRoom(
  marginMs: number,
  log: (message: string) => void,
): Promise<Date> {
  const now = Date.now();
  const next = hourOf(new Date(now)).getTime() + HOUR_MS;
  if (next - now >= marginMs) return hourOf(new Date(now));
  log(`waiting ${Math.ceil((next - now) / 1000)} s for the next hour, for room to run in this one`);
  await new Promise((resolve) => setTimeout(resolve, next - now + 1_000));
  return hourOf(new Date());
}
