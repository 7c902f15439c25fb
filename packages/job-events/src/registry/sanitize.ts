/**
 * PostgreSQL refuses the NUL character in `text` and in `jsonb` strings, and one such value
 * would fail its whole batch again on every retry; job results and error messages come from
 * job code, so NULs are dropped before they reach the database.
 */
export function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '') as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [withoutNul(key), withoutNul(item)]),
    ) as T;
  }
  return value;
}
