import { lookup as dnsLookup } from 'node:dns/promises';
import type { BlockList } from 'node:net';

/** DNS resolution of one host name to every address it has, A and AAAA alike. */
export type Resolver = (hostname: string) => Promise<readonly string[]>;

/** Where outbound requests of a user's choosing may go. */
export interface TargetPolicy {
  /** Plain `http:` allowed besides `https:` (development, tests). */
  allowHttp: boolean;
  /** Networks reachable despite the blocked ranges; empty in production by default. */
  allowList?: BlockList;
  /** DNS resolution; injectable so tests can make a name resolve where they want. */
  resolve?: Resolver;
}

/** The system resolver (`getaddrinfo`, as `net.connect` uses), every record, in its order. */
export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);
