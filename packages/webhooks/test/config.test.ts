import { baseConfigShape, parseConfig } from '@conveyor/runtime/config';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { targetPolicyOf, webhookTargetConfigShape } from '../src/config.js';

const schema = z.object({ NODE_ENV: baseConfigShape.NODE_ENV, ...webhookTargetConfigShape });
const load = (env: Record<string, string>) => parseConfig(schema, env);

describe('webhook target config', () => {
  it('allows http outside production and refuses it in production unless told', () => {
    expect(targetPolicyOf(load({})).allowHttp).toBe(true);
    expect(targetPolicyOf(load({ NODE_ENV: 'production' })).allowHttp).toBe(false);
    expect(
      targetPolicyOf(load({ NODE_ENV: 'production', WEBHOOK_ALLOW_HTTP: 'true' })).allowHttp,
    ).toBe(true);
    expect(targetPolicyOf(load({ WEBHOOK_ALLOW_HTTP: 'no' })).allowHttp).toBe(false);
  });

  it('lets no private network through by default, and the listed ones when told', () => {
    expect(targetPolicyOf(load({})).allowList?.check('127.0.0.1')).toBe(false);
    const policy = targetPolicyOf(load({ WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8, ::1/128' }));
    expect(policy.allowList?.check('127.0.0.9')).toBe(true);
    expect(policy.allowList?.check('::1', 'ipv6')).toBe(true);
    expect(policy.allowList?.check('10.0.0.1')).toBe(false);
  });

  it('names the variable of a bad network or flag', () => {
    expect(() => load({ WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1' })).toThrow(
      /WEBHOOK_ALLOWED_NETWORKS: must be a comma-separated list of networks in CIDR form/,
    );
    expect(() => load({ WEBHOOK_ALLOW_HTTP: 'maybe' })).toThrow(/WEBHOOK_ALLOW_HTTP/);
  });
});
