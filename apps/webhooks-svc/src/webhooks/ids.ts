/**
 * Webhook and delivery ids are bigint identities read as JavaScript numbers: positive decimal
 * integers without a sign or leading zeros, up to 2^53 - 1, far beyond any row a sequence will
 * reach.
 */
const idPattern = /^[1-9]\d{0,15}$/;

/**
 * The id a path segment names, or null for anything else, which the routes answer with 404
 * like a missing id: a malformed id must not be told apart from one that does not exist.
 */
export function parseId(raw: string): number | null {
  if (!idPattern.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : null;
}
