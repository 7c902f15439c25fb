/**
 * Redis stream entry ids are `<ms>-<seq>`. They order a stream's entries, but not as strings:
 * `"999-0"` sorts after `"1000-0"` lexically, so both parts are compared as numbers.
 */
function parts(id: string): [number, number] {
  const dash = id.indexOf('-');
  if (dash === -1) return [Number(id), 0];
  return [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}

/** Negative when `a` comes before `b` in its stream, zero when equal, positive after. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq] = parts(a);
  const [bMs, bSeq] = parts(b);
  return aMs - bMs || aSeq - bSeq;
}

/** The entry's time: Redis takes the ms part of an auto-generated id from its own clock. */
export function streamIdTime(id: string): number {
  return parts(id)[0];
}

/** The flat `[field, value, field, value, …]` reply of XREAD as a lookup. */
export function fieldMap(fields: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  return map;
}
