import { ConfigError } from '@conveyor/runtime/config';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('the webhooks API configuration', () => {
  it('defaults to 20 webhooks per user, a 24-hour secret grace, and the target policy off', () => {
    const config = loadConfig({});
    expect(config.WEBHOOK_MAX_ENDPOINTS_PER_USER).toBe(20);
    expect(config.WEBHOOK_SECRET_GRACE_HOURS).toBe(24);
    expect(config.WEBHOOK_ALLOW_HTTP).toBeUndefined();
    expect(config.WEBHOOK_ALLOWED_NETWORKS).toEqual([]);
  });

  it('reads the limits and the target policy', () => {
    const config = loadConfig({
      WEBHOOK_MAX_ENDPOINTS_PER_USER: '1000',
      WEBHOOK_SECRET_GRACE_HOURS: '0',
      WEBHOOK_ALLOW_HTTP: 'false',
      WEBHOOK_ALLOWED_NETWORKS: '10.0.0.0/8,::1/128',
    });
    expect(config).toMatchObject({
      WEBHOOK_MAX_ENDPOINTS_PER_USER: 1000,
      WEBHOOK_SECRET_GRACE_HOURS: 0,
      WEBHOOK_ALLOW_HTTP: false,
      WEBHOOK_ALLOWED_NETWORKS: ['10.0.0.0/8', '::1/128'],
    });
  });

  it.each([
    ['WEBHOOK_MAX_ENDPOINTS_PER_USER', '0'],
    ['WEBHOOK_MAX_ENDPOINTS_PER_USER', '1001'],
    ['WEBHOOK_MAX_ENDPOINTS_PER_USER', 'many'],
    ['WEBHOOK_SECRET_GRACE_HOURS', '-1'],
    ['WEBHOOK_SECRET_GRACE_HOURS', '721'],
    ['WEBHOOK_SECRET_GRACE_HOURS', '1.5'],
    ['WEBHOOK_ALLOW_HTTP', 'maybe'],
    ['WEBHOOK_ALLOWED_NETWORKS', 'localhost'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });
});
