import { BlockList, isIP } from 'node:net';

/**
 * Networks an outbound request of a user's choosing (a webhook) must never reach: this host,
 * private networks, link-local (cloud metadata at 169.254.169.254), CGNAT, documentation,
 * benchmarking, multicast, reserved and unspecified ranges, and the IPv6 forms that embed or
 * translate an IPv4 address (NAT64, 6to4, Teredo). An IPv4-mapped address (`::ffff:127.0.0.1`)
 * needs no range of its own: Node's BlockList checks it against the IPv4 ranges (and a
 * `::ffff:0:0/96` rule would block every IPv4 address, which BlockList maps the same way).
 */
const blockedRanges: ReadonlyArray<readonly [network: string, prefix: number, 'ipv4' | 'ipv6']> = [
  ['0.0.0.0', 8, 'ipv4'], // "this network", incl. the unspecified 0.0.0.0
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], // CGNAT
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'], // link-local, cloud metadata
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'], // IETF protocol assignments
  ['192.0.2.0', 24, 'ipv4'], // TEST-NET-1
  ['192.88.99.0', 24, 'ipv4'], // 6to4 relay anycast
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'], // benchmarking
  ['198.51.100.0', 24, 'ipv4'], // TEST-NET-2
  ['203.0.113.0', 24, 'ipv4'], // TEST-NET-3
  ['224.0.0.0', 4, 'ipv4'], // multicast
  ['240.0.0.0', 4, 'ipv4'], // reserved, incl. broadcast
  ['::', 128, 'ipv6'], // unspecified
  ['::1', 128, 'ipv6'], // loopback
  ['::', 96, 'ipv6'], // IPv4-compatible (deprecated)
  ['64:ff9b::', 96, 'ipv6'], // NAT64
  ['64:ff9b:1::', 48, 'ipv6'], // local-use NAT64
  ['100::', 64, 'ipv6'], // discard
  ['2001::', 23, 'ipv6'], // IETF protocol assignments, incl. Teredo
  ['2001:db8::', 32, 'ipv6'], // documentation
  ['2002::', 16, 'ipv6'], // 6to4
  ['fc00::', 7, 'ipv6'], // unique local
  ['fe80::', 10, 'ipv6'], // link-local
  ['fec0::', 10, 'ipv6'], // site-local (deprecated)
  ['ff00::', 8, 'ipv6'], // multicast
];

const blocked = new BlockList();
for (const [network, prefix, family] of blockedRanges) blocked.addSubnet(network, prefix, family);

/** Networks (`10.0.0.0/8`, `::1/128`) let through anyway: tests and private deployments. */
export function parseAllowList(cidrs: readonly string[]): BlockList {
  const allowed = new BlockList();
  for (const cidr of cidrs) {
    const [network = '', prefix] = cidr.split('/');
    const family = isIP(network);
    if (family === 0 || prefix === undefined || !/^\d{1,3}$/.test(prefix)) {
      throw new Error(`not a network in CIDR form: ${cidr}`);
    }
    allowed.addSubnet(network, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
  }
  return allowed;
}

/** Strips the brackets URL hostnames put around IPv6 literals. */
const bare = (address: string) => address.replace(/^\[(.*)\]$/, '$1');

/**
 * Whether an outbound request may connect to `address` (an IP literal, with or without
 * brackets): false for every blocked range unless the allow-list names it, and for anything
 * that is not an IP address at all.
 */
export function isPublicAddress(address: string, allowList?: BlockList): boolean {
  const ip = bare(address);
  const family = isIP(ip);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (allowList?.check(ip, type)) return true;
  return !blocked.check(ip, type);
}
