import { ConfigError } from '@conveyor/runtime/config';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('the jobs API configuration', () => {
  it('defaults to a 60 s longest wait, a registry consumer on and a 90-day retention', () => {
    const config = loadConfig({});
    expect(config.JOB_WAIT_MAX_SECONDS).toBe(60);
    expect(config.JOB_REGISTRY_CONSUMER).toBe(true);
    expect(config.JOB_RUNS_RETENTION_DAYS).toBe(90);
  });

  it('reads JOB_RUNS_RETENTION_DAYS down to a day', () => {
    expect(loadConfig({ JOB_RUNS_RETENTION_DAYS: '1' }).JOB_RUNS_RETENTION_DAYS).toBe(1);
  });

  it.each([
    ['false', false],
    ['0', false],
    ['no', false],
    ['true', true],
    ['1', true],
  ])('reads JOB_REGISTRY_CONSUMER=%s as %s', (value, expected) => {
    expect(loadConfig({ JOB_REGISTRY_CONSUMER: value }).JOB_REGISTRY_CONSUMER).toBe(expected);
  });

  it.each([
    ['JOB_REGISTRY_CONSUMER', 'maybe'],
    ['JOB_WAIT_MAX_SECONDS', '0'],
    ['JOB_WAIT_MAX_SECONDS', '61'],
    ['JOB_WAIT_MAX_SECONDS', 'a minute'],
    ['JOB_RUNS_RETENTION_DAYS', '0'],
    ['JOB_RUNS_RETENTION_DAYS', '1.5'],
    ['JOB_RUNS_RETENTION_DAYS', 'a year'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });
});
