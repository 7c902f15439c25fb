import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPort } from '../src/apps.js';
import { lastLine, runToEnd, tokenEntry } from './helpers/entry-points.js';
import { startSystem, stillListening, type RunningSystem } from './helpers/system.js';

// The real system, started by the real `pnpm dev` entry point beside whatever a developer runs
// (test/helpers/system.ts): every port moved, a database and a BullMQ prefix of its own.

describe('the whole system started by pnpm dev', () => {
  let system: RunningSystem;
  let gatewayUrl: string;
  let mailUrl: string;

  beforeAll(async () => {
    system = await startSystem();
    ({ gatewayUrl, mailUrl } = system);
  }, 90_000);

  afterAll(async () => {
    await system?.dispose();
  }, 30_000);

  it('prints the gateway, the docs, the mail catcher and ready ADMIN and CREATOR tokens', () => {
    expect(system.output()).toContain(`Gateway    ${gatewayUrl}`);
    expect(system.output()).toContain(`API docs   ${gatewayUrl}/api/docs`);
    expect(system.output()).toContain(`Mail       ${mailUrl}`);
    expect(system.output()).toMatch(/ADMIN \(demo-admin\)\n\s+eyJ/);
    expect(system.output()).toMatch(/CREATOR \(demo-creator\)\n\s+eyJ/);
    expect(system.output()).toContain(
      `curl -H "Authorization: Bearer $TOKEN" ${gatewayUrl}/api/notifications`,
    );
  });

  it('answers ready on every app', async () => {
    for (const app of system.apps) {
      const response = await fetch(
        `http://127.0.0.1:${appPort(app, { portOffset: system.offset })}/readyz`,
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
      const app = system.apps.find((candidate) => candidate.name === `${service}-svc`)!;
      const direct = await fetch(
        `http://127.0.0.1:${appPort(app, { portOffset: system.offset })}/openapi.json`,
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
    expect(await system.stop('SIGTERM')).toBe(0);
    expect(system.output()).toContain(`received SIGTERM; stopping ${system.apps.length} app(s)`);
    expect(system.output()).toMatch(/\| stopped\n/);
    expect(system.output()).not.toContain('did not stop within');
    expect(await stillListening(system)).toEqual([]);
  }, 30_000);
});
