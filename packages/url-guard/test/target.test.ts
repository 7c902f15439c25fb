import { describe, expect, it } from 'vitest';
import { isPublicAddress, parseAllowList } from '../src/addresses.js';
import { checkTarget, type TargetPolicy } from '../src/target.js';

/** Names resolve only where a test says; nothing here depends on the machine's DNS. */
const zone = new Map<string, readonly string[]>([
  ['hooks.example.com', ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']],
  ['metadata.google.internal', ['169.254.169.254']],
  ['localtest.me', ['127.0.0.1']],
  ['split.example.com', ['93.184.215.14', '10.0.0.7']],
  ['v6only-private.example.com', ['fd00::1']],
]);
const resolve = async (hostname: string) => {
  const addresses = zone.get(hostname);
  if (!addresses) throw new Error(`ENOTFOUND ${hostname}`);
  return addresses;
};
const production: TargetPolicy = { allowHttp: false, resolve };
const development: TargetPolicy = { allowHttp: true, resolve };

const refusedForms = [
  // this host, in every spelling the URL parser accepts
  'http://127.0.0.1/',
  'http://127.0.0.1:8080/hook',
  'http://127.1/',
  'http://127.0.1/',
  'http://2130706433/',
  'http://0x7f000001/',
  'http://0x7f.1/',
  'http://0x7f.0x0.0x0.0x1/',
  'http://0177.0.0.1/',
  'http://017700000001/',
  'http://127.255.255.254/',
  'http://localhost/',
  'http://localtest.me/',
  'http://0/',
  'http://0.0.0.0/',
  'http://[::1]/',
  'http://[::]/',
  'http://[0:0:0:0:0:0:0:1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[0:0:0:0:0:ffff:7f00:1]/',
  'http://[::ffff:7f00:1]/',
  'http://[::127.0.0.1]/',
  // private networks
  'http://10.0.0.1/',
  'http://10.255.255.255/',
  'http://172.16.0.1/',
  'http://172.31.255.255/',
  'http://192.168.0.1/',
  'http://192.168.1.254/',
  'http://[::ffff:10.0.0.1]/',
  'http://[::ffff:192.168.1.1]/',
  'http://[fd00::1]/',
  'http://[fc00::1]/',
  'http://v6only-private.example.com/',
  // link-local and cloud metadata
  'http://169.254.169.254/latest/meta-data/',
  'http://169.254.0.1/',
  'http://[fe80::1]/',
  'http://[::ffff:169.254.169.254]/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://0xa9fea9fe/',
  'http://2852039166/',
  // CGNAT, documentation, benchmarking, reserved, multicast, broadcast
  'http://100.64.0.1/',
  'http://100.127.255.254/',
  'http://192.0.2.10/',
  'http://198.51.100.1/',
  'http://203.0.113.9/',
  'http://198.18.0.1/',
  'http://240.0.0.1/',
  'http://255.255.255.255/',
  'http://224.0.0.1/',
  'http://239.255.255.250/',
  'http://[ff02::1]/',
  'http://192.0.0.8/',
  // IPv6 forms that reach IPv4 through a translator
  'http://[64:ff9b::7f00:1]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[2002:7f00:1::]/',
  'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
  'http://[2001:db8::1]/',
  // a name with one private record among public ones
  'http://split.example.com/',
  // credentials, schemes, garbage, names that do not resolve
  'http://a@93.184.215.14/',
  'https://user:secret@hooks.example.com/',
  'ftp://hooks.example.com/',
  'file:///etc/passwd',
  'gopher://hooks.example.com/',
  'javascript:alert(1)',
  'data:text/plain,hi',
  'not a url',
  'http://unknown.invalid/',
];

describe('checkTarget', () => {
  it(`refuses ${refusedForms.length} forms of non-public, unsafe or malformed targets`, async () => {
    expect(refusedForms.length).toBeGreaterThanOrEqual(60);
    for (const url of refusedForms) {
      const result = await checkTarget(url, development);
      expect(result.ok, url).toBe(false);
    }
  });

  it('accepts a public https target and returns the addresses to connect to', async () => {
    const result = await checkTarget('https://hooks.example.com/conveyor?x=1', production);
    expect(result).toMatchObject({
      ok: true,
      addresses: ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    });
    expect(await checkTarget('https://93.184.215.14/', production)).toMatchObject({ ok: true });
  });

  it('says why it refuses', async () => {
    expect(await checkTarget('http://hooks.example.com/', production)).toEqual({
      ok: false,
      reason: 'only https URLs',
    });
    expect(await checkTarget('https://a:b@hooks.example.com/', production)).toEqual({
      ok: false,
      reason: 'credentials in the URL',
    });
    expect(await checkTarget('https://split.example.com/', production)).toEqual({
      ok: false,
      reason: 'the host resolves to a non-public address (10.0.0.7)',
    });
  });

  it('refuses at delivery a name that resolved to a public address at registration', async () => {
    let answer = ['93.184.215.14'];
    const rebinding: TargetPolicy = { allowHttp: true, resolve: async () => answer };
    expect((await checkTarget('http://rebind.example.com/', rebinding)).ok).toBe(true);
    answer = ['127.0.0.1'];
    expect((await checkTarget('http://rebind.example.com/', rebinding)).ok).toBe(false);
  });

  it('lets an allow-listed network through, and nothing else', async () => {
    const policy: TargetPolicy = {
      allowHttp: true,
      resolve,
      allowList: parseAllowList(['127.0.0.0/8', '::1/128']),
    };
    expect((await checkTarget('http://127.0.0.1:4000/hook', policy)).ok).toBe(true);
    expect((await checkTarget('http://[::1]:4000/hook', policy)).ok).toBe(true);
    expect((await checkTarget('http://169.254.169.254/', policy)).ok).toBe(false);
    expect(() => parseAllowList(['localhost'])).toThrow(/CIDR/);
  });
});

describe('isPublicAddress', () => {
  it('refuses anything that is not an IP address', () => {
    expect(isPublicAddress('example.com')).toBe(false);
    expect(isPublicAddress('')).toBe(false);
    expect(isPublicAddress('8.8.8.8')).toBe(true);
    expect(isPublicAddress('[2606:4700:4700::1111]')).toBe(true);
  });
});
