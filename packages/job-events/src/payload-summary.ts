/** Keys a summary keeps at most, and the length a string is cut to. */
const MAX_KEYS = 10;
const MAX_STRING = 100;

/**
 * Payloads carry ids, never secrets (queue-contracts says so), but the summary is shown to
 * users and admins and kept for months, so a key that looks like a credential is left out
 * anyway, as a second line of defence.
 */
const SECRET_KEY = /secret|token|password|passwd|credential|authorization|api[-_]?key|cookie/i;

/** `ownerId` has its own column; repeating it would only take one of the ten places. */
const OMITTED = new Set(['ownerId']);

/**
 * A short, secret-free summary of a job payload for search and display: top-level scalar
 * fields only (nested objects and arrays may be large), strings cut to 100 characters, at
 * most 10 keys.
 */
export function summarizePayload(payload: Record<string, unknown>): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  let kept = 0;
  for (const [key, value] of Object.entries(payload)) {
    if (kept === MAX_KEYS) break;
    if (OMITTED.has(key) || SECRET_KEY.test(key)) continue;
    if (typeof value === 'string') summary[key] = value.slice(0, MAX_STRING);
    else if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
      summary[key] = value;
    } else continue;
    kept += 1;
  }
  return summary;
}
