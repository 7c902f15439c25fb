import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appEnvironment,
  discoverApps,
  serviceUrlVariable,
  type AppDefinition,
} from '../src/apps.js';

async function writeApp(
  root: string,
  name: string,
  manifest: object,
  withMain = true,
): Promise<void> {
  await mkdir(join(root, name, 'src'), { recursive: true });
  await writeFile(join(root, name, 'package.json'), JSON.stringify({ name, ...manifest }));
  if (withMain) await writeFile(join(root, name, 'src/main.ts'), '');
}

describe('app discovery', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'conveyor-apps-'));
    await writeApp(root, 'webhooks-svc', { conveyor: { kind: 'service', port: 3003 } });
    await writeApp(root, 'api-gateway', { conveyor: { kind: 'gateway', port: 3000 } });
    await writeApp(root, 'digest-worker', { conveyor: { kind: 'worker', port: 3011 } });
    await writeApp(root, 'no-field', {});
    await writeApp(root, 'no-main-svc', { conveyor: { kind: 'service', port: 3009 } }, false);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('finds every app with a conveyor field and a src/main.ts, gateway first', async () => {
    const apps = await discoverApps(root);
    expect(apps.map((app) => [app.name, app.kind, app.port])).toEqual([
      ['api-gateway', 'gateway', 3000],
      ['webhooks-svc', 'service', 3003],
      ['digest-worker', 'worker', 3011],
    ]);
  });

  it('says which package.json has a malformed conveyor field', async () => {
    await writeApp(root, 'broken-svc', { conveyor: { kind: 'daemon' } });
    await expect(discoverApps(root)).rejects.toThrow(
      'broken-svc/package.json: the "conveyor" field',
    );
    await rm(join(root, 'broken-svc'), { recursive: true });
  });
});

describe('app environment', () => {
  const app = (name: string, kind: AppDefinition['kind'], port: number): AppDefinition => ({
    name,
    kind,
    port,
    dir: `/apps/${name}`,
  });
  const apps = [
    app('api-gateway', 'gateway', 3000),
    app('admin-jobs-svc', 'service', 3002),
    app('notifications-svc', 'service', 3001),
    app('delivery-worker', 'worker', 3010),
  ];
  const settings = {
    host: '127.0.0.1',
    portOffset: 100,
    shared: { REDIS_URL: 'redis://127.0.0.1:6379' },
  };

  it('names the gateway variable of each service after the service', () => {
    expect(serviceUrlVariable('notifications-svc')).toBe('NOTIFICATIONS_URL');
    expect(serviceUrlVariable('admin-jobs-svc')).toBe('ADMIN_JOBS_URL');
    expect(serviceUrlVariable('webhooks-svc')).toBe('WEBHOOKS_URL');
  });

  it('gives the gateway every service URL, all ports moved by the offset', () => {
    expect(appEnvironment(apps[0]!, apps, settings)).toEqual({
      REDIS_URL: 'redis://127.0.0.1:6379',
      HOST: '127.0.0.1',
      PORT: '3100',
      ADMIN_JOBS_URL: 'http://127.0.0.1:3102',
      NOTIFICATIONS_URL: 'http://127.0.0.1:3101',
    });
  });

  it('points the workers and the gateway at one media root, served by the gateway', () => {
    const withMedia = { ...settings, mediaRoot: '/tmp/conveyor/media' };
    expect(appEnvironment(apps[0]!, apps, withMedia)).toMatchObject({
      MEDIA_SERVE_ROOT: '/tmp/conveyor/media',
    });
    expect(appEnvironment(apps[3]!, apps, withMedia)).toMatchObject({
      MEDIA_ROOT: '/tmp/conveyor/media',
      MEDIA_PUBLIC_BASE_URL: 'http://127.0.0.1:3100/media',
    });
    expect(appEnvironment(apps[1]!, apps, withMedia)).not.toHaveProperty('MEDIA_ROOT');
  });

  it('gives a worker only its port and the shared variables', () => {
    expect(appEnvironment(apps[3]!, apps, settings)).toEqual({
      REDIS_URL: 'redis://127.0.0.1:6379',
      HOST: '127.0.0.1',
      PORT: '3110',
    });
  });
});
