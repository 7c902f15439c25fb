import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { deleteKeysWithPrefix, testPrefix } from '@conveyor/test-harness/redis';
import { freePort, waitUntil } from '@conveyor/test-harness/ports';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPort, discoverApps, type AppDefinition } from '../src/apps.js';
import { defaultAppsDir, inheritedEnvironment } from '../src/config.js';
import { isListening } from '../src/ports.js';
import { sourceEntryArgs } from '../src/supervisor.js';
import { devEntry, lastLine, packageDir, runToEnd, tokenEntry } from './helpers/entry-points.js';

// The real system, started by the real `pnpm dev` entry point, beside whatever a developer runs:
// every port moved by a free offset, a database and a BullMQ prefix of its own.

const redisUrl = 'redis://127.0.0.1:6379';
const serverUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
const databaseName = `conveyor_e2e_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const bullPrefix = testPrefix();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** An offset under which every app's port is free right now. */
async function freePortOffset(apps: readonly AppDefinition[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below the ephemeral range (32768+), so no outgoing connection takes one of them meanwhile.
    const offset = 10_000 + Math.floor(Math.random() * 19_000);
    const free = await Promise.all(apps.map((app) => canBind(app.port + offset)));
    if (free.every(Boolean)) return offset;
  }
  throw new Error('no free port offset found for the apps');
}

describe('the whole system started by pnpm dev', () => {
  let apps: AppDefinition[];
  let offset: number;
  let gatewayUrl: string;
  let mailUrl: string;
  let dev: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;

  beforeAll(async () => {
    apps = await discoverApps(defaultAppsDir);
    offset = await freePortOffset(apps);
    const gateway = apps.find((app) => app.kind === 'gateway');
    if (!gateway) throw new Error(`no gateway app in ${defaultAppsDir}`);
    gatewayUrl = `http://127.0.0.1:${appPort(gateway, { portOffset: offset })}`;
    const mailPort = await freePort();
    mailUrl = `http://127.0.0.1:${mailPort}`;
    dev = spawn(process.execPath, sourceEntryArgs(devEntry), {
      cwd: packageDir,
      env: {
        ...inheritedEnvironment(),
        PORT_OFFSET: String(offset),
        REDIS_URL: redisUrl,
        DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${databaseName}`,
        SMTP_URL: `smtp://127.0.0.1:${await freePort()}`,
        MAIL_CATCHER_HTTP_PORT: String(mailPort),
        BULL_PREFIX: bullPrefix,
        DEV_LOG_FORMAT: 'raw',
        READY_TIMEOUT_MS: '60000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dev.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => dev.once('exit', (code) => resolve(code)));
    await waitUntil(() => output.includes('Conveyor is running.') || dev.exitCode !== null, {
      timeoutMs: 75_000,
      intervalMs: 100,
      what: 'the pnpm dev banner',
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n--- pnpm dev printed ---\n${output}`);
    });
    if (dev.exitCode !== null) throw new Error(`pnpm dev exited with ${dev.exitCode}:\n${output}`);
  }, 90_000);

  afterAll(async () => {
    if (dev && dev.exitCode === null && dev.signalCode === null) {
      dev.kill('SIGTERM');
      await exited;
    }
    const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
    try {
      await admin`drop database if exists ${admin(databaseName)} with (force)`;
    } finally {
      await admin.end({ timeout: 5 });
    }
    await deleteKeysWithPrefix(redisUrl, bullPrefix);
  }, 30_000);

  it('prints the gateway, the docs, the mail catcher and ready ADMIN and CREATOR tokens', () => {
    expect(output).toContain(`Gateway    ${gatewayUrl}`);
    expect(output).toContain(`API docs   ${gatewayUrl}/api/docs`);
    expect(output).toContain(`Mail       ${mailUrl}`);
    expect(output).toMatch(/ADMIN \(demo-admin\)\n\s+eyJ/);
    expect(output).toMatch(/CREATOR \(demo-creator\)\n\s+eyJ/);
    expect(output).toContain(
      `curl -H "Authorization: Bearer $TOKEN" ${gatewayUrl}/api/notifications`,
    );
  });

  it('answers ready on every app', async () => {
    for (const app of apps) {
      const response = await fetch(
        `http://127.0.0.1:${appPort(app, { portOffset: offset })}/readyz`,
      );
      expect(response.status, app.name).toBe(200);
    }
  });

  it('serves the merged OpenAPI document through the gateway', async () => {
    const response = await fetch(`${gatewayUrl}/api/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      info: { title: string };
      paths: object;
    };
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.title).toEqual(expect.any(String));
    expect(document.paths).toEqual(expect.any(Object));
  });

  it.each(['notifications', 'admin-jobs', 'webhooks'])(
    'serves the %s service’s own OpenAPI document through the gateway, as the service serves it',
    async (service) => {
      const app = apps.find((candidate) => candidate.name === `${service}-svc`)!;
      const direct = await fetch(
        `http://127.0.0.1:${appPort(app, { portOffset: offset })}/openapi.json`,
      );
      const response = await fetch(`${gatewayUrl}/api/openapi/${service}.json`);
      expect(response.status).toBe(200);
      const document = (await response.json()) as { openapi: string };
      expect(document.openapi).toBe('3.1.0');
      expect(document).toEqual(await direct.json());
    },
  );

  it('refuses an unauthenticated request to /api/notifications with 401 and the error envelope', async () => {
    const response = await fetch(`${gatewayUrl}/api/notifications`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ success: false, error: 'Unauthorized' });
  });

  it('lets a token from pnpm token through the gateway’s authentication', async () => {
    const result = await runToEnd(tokenEntry, ['--sub', 'demo-admin', '--role', 'ADMIN']);
    expect(result.code).toBe(0);
    const response = await fetch(`${gatewayUrl}/api/notifications`, {
      headers: { authorization: `Bearer ${lastLine(result.stdout)}` },
    });
    expect([401, 403]).not.toContain(response.status);
    expect(response.status).toBeLessThan(500);
  });

  it('catches mail on the SMTP port it was given, readable over HTTP', async () => {
    const response = await fetch(`${mailUrl}/messages`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(expect.any(Array));
  });

  it('stops every app and itself cleanly on SIGTERM', async () => {
    dev.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain(`received SIGTERM; stopping ${apps.length} app(s)`);
    expect(output).toMatch(/\| stopped\n/);
    expect(output).not.toContain('did not stop within');
    for (const app of apps) {
      expect(await isListening('127.0.0.1', appPort(app, { portOffset: offset })), app.name).toBe(
        false,
      );
    }
    expect(await isListening('127.0.0.1', Number(new URL(mailUrl).port))).toBe(false);
  }, 30_000);
});
