import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type BlockList } from 'node:net';
import { isPublicAddress } from './addresses.js';

export interface TargetPolicy {
  /** Plain `http:` allowed besides `https:` (development, tests). */
  allowHttp: boolean;
  /** Networks reachable despite the blocked ranges; empty in production by default. */
  allowList?: BlockList;
  /** DNS resolution; injectable so tests can make a name resolve where they want. */
  resolve?: (hostname: string) => Promise<readonly string[]>;
}

export type TargetCheck =
  { ok: true; url: URL; addresses: readonly string[] } | { ok: false; reason: string };

const resolveAll = async (hostname: string): Promise<readonly string[]> =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * Whether a URL may be the target of an outbound request of a user's choosing, checked after
 * DNS resolution: every A and AAAA record must be public, since a connection may use any of
 * them. The URL parser has already turned numeric encodings (`2130706433`, `0x7f.1`, `127.1`,
 * `0177.0.0.1`) into dotted addresses. Run it at registration and again where the connection
 * is made, connecting to one of the `addresses` it returns, so a name that changes its answer
 * between the check and the connection (DNS rebinding) reaches nothing it should not.
 */
export async function checkTarget(raw: string, policy: TargetPolicy): Promise<TargetCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) {
    return { ok: false, reason: policy.allowHttp ? 'only http and https URLs' : 'only https URLs' };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'credentials in the URL' };
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: readonly string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = await (policy.resolve ?? resolveAll)(host);
    } catch {
      return { ok: false, reason: 'the host name does not resolve' };
    }
    if (addresses.length === 0) return { ok: false, reason: 'the host name does not resolve' };
  }
  const refused = addresses.find((address) => !isPublicAddress(address, policy.allowList));
  if (refused !== undefined) {
    return { ok: false, reason: `the host resolves to a non-public address (${refused})` };
  }
  return { ok: true, url, addresses };
}
