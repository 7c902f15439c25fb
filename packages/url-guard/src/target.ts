import { isIP } from 'node:net';
import { isPublicAddress } from './addresses.js';
import { checkUrlBeforeConnect } from './connect.js';
import { systemResolver, type TargetPolicy } from './policy.js';

export type { Resolver, TargetPolicy } from './policy.js';

export type TargetCheck =
  { ok: true; url: URL; addresses: readonly string[] } | { ok: false; reason: string };

/**
 * Whether a URL may be the target of an outbound request of a user's choosing, checked after
 * DNS resolution: every A and AAAA record must be public, since a connection may use any of
 * them. The URL parser has already turned numeric encodings (`2130706433`, `0x7f.1`, `127.1`,
 * `0177.0.0.1`) into dotted addresses. Run it at registration; where the connection is made,
 * `createCheckedLookup` (./connect) applies the same rules to the addresses the socket uses, so
 * a name that changes its answer between the check and the connection (DNS rebinding) reaches
 * nothing it should not.
 */
export async function checkTarget(raw: string, policy: TargetPolicy): Promise<TargetCheck> {
  const checked = checkUrlBeforeConnect(raw, policy);
  if (!checked.ok) return { ok: false, reason: checked.reason };
  const { url } = checked;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0) return { ok: true, url, addresses: [host] };
  let addresses: readonly string[];
  try {
    addresses = await (policy.resolve ?? systemResolver)(host);
  } catch {
    return { ok: false, reason: 'the host name does not resolve' };
  }
  if (addresses.length === 0) return { ok: false, reason: 'the host name does not resolve' };
  const refused = addresses.find((address) => !isPublicAddress(address, policy.allowList));
  if (refused !== undefined) {
    return { ok: false, reason: `the host resolves to a non-public address (${refused})` };
  }
  return { ok: true, url, addresses };
}
