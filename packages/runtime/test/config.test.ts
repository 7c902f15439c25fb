import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  baseConfigShape,
  booleanVar,
  ConfigError,
  listVar,
  parseConfig,
  portVar,
} from '../src/config.js';

const Schema = z.object({
  ...baseConfigShape,
  PORT: portVar(3000),
  FLAG: booleanVar(false),
  ORIGINS: listVar(),
});

describe('parseConfig', () => {
  it('gives development defaults for an empty environment', () => {
    const config = parseConfig(Schema, {});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      REDIS_URL: 'redis://127.0.0.1:6379',
      BULL_PREFIX: '{conveyor}',
      PORT: 3000,
      FLAG: false,
      ORIGINS: [],
    });
    expect(config.DATABASE_URL).toContain('127.0.0.1:5432');
  });

  it('names every bad variable in one error', () => {
    const attempt = () =>
      parseConfig(Schema, {
        PORT: '70000',
        REDIS_URL: 'http://x',
        DATABASE_URL: 'nope',
        FLAG: 'maybe',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'REDIS_URL', 'DATABASE_URL', 'FLAG'])
        expect(problems).toContain(name);
    }
  });

  it('reads lists and booleans from text', () => {
    const config = parseConfig(Schema, {
      FLAG: 'yes',
      ORIGINS: ' https://a.example , https://b.example ,',
    });
    expect(config.FLAG).toBe(true);
    expect(config.ORIGINS).toEqual(['https://a.example', 'https://b.example']);
  });
});
