import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from './addresses.js';
import { systemResolver, type TargetPolicy } from './policy.js';

export { systemResolver, type Resolver } from './policy.js';

/** The `code` of the error a checked lookup fails with when a name has a non-public address. */
export const ADDRESS_REFUSED = 'ERR_ADDRESS_REFUSED';

export class AddressRefusedError extends Error {
  readonly code = ADDRESS_REFUSED;
  constructor(
    readonly hostname: string,
    readonly address: string,
  ) {
    super(`${hostname} resolves to a non-public address (${address})`);
    this.name = 'AddressRefusedError';
  }
}

/** Whether `error`, or an error it wraps as its `cause`, is a refused address. */
export function isAddressRefused(error: unknown): boolean {
  for (let seen = error, depth = 0; seen instanceof Error && depth < 5; depth += 1) {
    if ((seen as { code?: unknown }).code === ADDRESS_REFUSED) return true;
    seen = seen.cause;
  }
  return false;
}

const familyOf = (option: unknown): 0 | 4 | 6 =>
  option === 4 || option === 'IPv4' ? 4 : option === 6 || option === 'IPv6' ? 6 : 0;

/**
 * A `lookup` for `net.connect` (and so for an HTTP client's connector) that resolves the name,
 * refuses the connection when ANY of its addresses is not public, and otherwise hands over only
 * the addresses it checked. The socket then connects to an address that was checked a moment
 * before, by the same resolution: a name that answers a public address to an earlier check and
 * a private one now (DNS rebinding) reaches nothing. A refusal fails with an
 * {@link AddressRefusedError} (`code` {@link ADDRESS_REFUSED}), before any packet is sent.
 *
 * `options.all` is honoured (Node asks for every address when it races IPv4 and IPv6, "happy
 * eyeballs"), as is `options.family`. Node never calls a lookup for an IP-literal host, so check
 * those with {@link checkUrlBeforeConnect} first.
 */
export function createCheckedLookup(
  options: Pick<TargetPolicy, 'allowList' | 'resolve'>,
): LookupFunction {
  const resolve = options.resolve ?? systemResolver;
  return (hostname, lookupOptions, callback) => {
    const wanted = familyOf(lookupOptions.family);
    resolve(hostname).then(
      (addresses) => {
        const refused = addresses.find((address) => !isPublicAddress(address, options.allowList));
        if (refused !== undefined) {
          callback(new AddressRefusedError(hostname, refused), '', 0);
          return;
        }
        const entries = addresses
          .map((address) => ({ address, family: isIP(address) }))
          .filter((entry) => entry.family !== 0 && (wanted === 0 || entry.family === wanted));
        const first = entries[0];
        if (first === undefined) {
          const missing = Object.assign(new Error(`${hostname} has no usable address`), {
            code: 'ENOTFOUND',
            hostname,
          });
          callback(missing, '', 0);
        } else if (lookupOptions.all) {
          callback(null, entries);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => {
        callback(error as NodeJS.ErrnoException, '', 0);
      },
    );
  };
}

export type ConnectCheck =
  { ok: true; url: URL } | { ok: false; refused: 'url' | 'address'; reason: string };

/**
 * The checks of a target URL that need no DNS, run right before a request whose connection uses
 * {@link createCheckedLookup}: the scheme the policy allows, no credentials, and an IP-literal
 * host (which Node connects to without a lookup) public. Host names are left to the lookup.
 * These are {@link checkTarget}'s own rules; it adds the resolution a registration needs.
 */
export function checkUrlBeforeConnect(raw: string, policy: TargetPolicy): ConnectCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, refused: 'url', reason: 'not a URL' };
  }
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) {
    const reason = policy.allowHttp ? 'only http and https URLs' : 'only https URLs';
    return { ok: false, refused: 'url', reason };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, refused: 'url', reason: 'credentials in the URL' };
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0 && !isPublicAddress(host, policy.allowList)) {
    return {
      ok: false,
      refused: 'address',
      reason: `the host resolves to a non-public address (${host})`,
    };
  }
  return { ok: true, url };
}
