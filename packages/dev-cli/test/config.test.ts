import { ConfigError, parseConfig } from '@conveyor/runtime/config';
import { DEVELOPMENT_JWT_SECRET } from '@conveyor/service-kit/auth-config';
import { describe, expect, it } from 'vitest';
import { DevConfigSchema, defaultAppsDir, loadDevConfig, loadTokenConfig } from '../src/config.js';

describe('the dev config', () => {
  it('serves a developer machine with no variables set', () => {
    expect(loadDevConfig({})).toMatchObject({
      NODE_ENV: 'development',
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/conveyor',
      SMTP_URL: 'smtp://127.0.0.1:1025',
      JWT_SECRET: DEVELOPMENT_JWT_SECRET,
      MAIL_CATCHER_HTTP_PORT: 1080,
      PORT_OFFSET: 0,
      HOST: '127.0.0.1',
      APPS_DIR: defaultAppsDir,
    });
  });

  it('names every bad variable in one message', () => {
    const attempt = () =>
      parseConfig(DevConfigSchema, {
        SMTP_URL: 'http://127.0.0.1:1025',
        PORT_OFFSET: 'many',
        DEV_LOG_FORMAT: 'xml',
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/SMTP_URL: must use smtp:[\s\S]*PORT_OFFSET[\s\S]*DEV_LOG_FORMAT/);
  });

  it('refuses the development secret in production, for pnpm dev and pnpm token alike', () => {
    expect(() => loadDevConfig({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET: is the development secret/,
    );
    expect(() => loadTokenConfig({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET: is the development secret/,
    );
    expect(loadTokenConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }).JWT_SECRET).toBe(
      'x'.repeat(40),
    );
  });
});
