import { fileURLToPath } from 'node:url';
import { STALE_HEARTBEATS } from '@conveyor/worker-kit/presence';
import { createTestDeps, type TestDeps } from '@conveyor/service-kit/testing';
import { waitUntil } from '@conveyor/test-harness/ports';
import { startEntryPoint, type RunningProcess } from '@conveyor/test-harness/processes';
import { deleteKeysWithPrefix, testPrefix } from '@conveyor/test-harness/redis';
import { createSmtpSink, type SmtpSink } from '@conveyor/test-harness/smtp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { as, type App } from '../helpers/admin-app.js';

/** A real worker app, started as `pnpm dev` would start it. */
const appDir = (app: string) => fileURLToPath(new URL(`../../../${app}`, import.meta.url));
const entryOf = (app: string) =>
  fileURLToPath(new URL(`../../../${app}/src/main.ts`, import.meta.url));
const heartbeatMs = 200;

let prefix: string;
let deps: TestDeps<Config>;
let app: App;
let sink: SmtpSink;
const processes: RunningProcess[] = [];

beforeAll(async () => {
  prefix = testPrefix();
  deps = await createTestDeps(loadConfig, { BULL_PREFIX: prefix });
  app = await buildApp(deps);
  await app.ready();
  sink = await createSmtpSink();
});
afterAll(async () => {
  await Promise.all(processes.map((running) => running.stop()));
  await app.close();
  await sink.stop();
  await deleteKeysWithPrefix(deps.config.REDIS_URL, prefix);
  await deps.cleanup();
});

interface GroupBody {
  healthy: boolean;
  workers: Record<string, unknown>;
}

const groups = async () => {
  const response = await as(app, 'admin-1').get('/api/admin/jobs/health');
  return response.json<{ data: Record<'notifications' | 'webhooks', GroupBody> }>().data;
};
const notifications = async () => (await groups()).notifications;

/** Starts `app`'s entry point on the test's database and prefix, beating every 200 ms. */
function start(app: string, env: Record<string, string>): RunningProcess {
  const running = startEntryPoint(
    entryOf(app),
    {
      REDIS_URL: deps.config.REDIS_URL,
      DATABASE_URL: deps.database.url,
      BULL_PREFIX: prefix,
      WORKER_HEARTBEAT_MS: String(heartbeatMs),
      APP_VERSION: 'process-test',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      PORT: '0',
      ...env,
    },
    { cwd: appDir(app) },
  );
  processes.push(running);
  return running;
}

const failWithOutput = (running: RunningProcess) => (error: Error) => {
  throw new Error(`${error.message}; it printed:\n${running.output()}`);
};

describe('a worker process killed with SIGKILL', () => {
  it('shows as not running within the heartbeat bound, and its group unhealthy', async () => {
    const running = start('delivery-worker', { SMTP_URL: sink.url });
    await waitUntil(async () => (await notifications()).healthy === true, {
      timeoutMs: 30_000,
      what: 'the delivery worker to run',
    }).catch(failWithOutput(running));
    // The admin service's own bulk worker is listed too; this test is about the process.
    const listed = await as(app, 'admin-1').get('/api/admin/jobs/workers?app=delivery-worker');
    expect(listed.json().data).toMatchObject([
      { app: 'delivery-worker', pid: running.child.pid, version: 'process-test', isRunning: true },
    ]);

    running.child.kill('SIGKILL');
    const killed = Date.now();
    await waitUntil(async () => (await notifications()).healthy === false, {
      timeoutMs: 10_000,
      what: 'the killed worker to show',
    });
    // The bound: its last heartbeat ages out after STALE_HEARTBEATS of them, give or take one.
    expect(Date.now() - killed).toBeLessThan((STALE_HEARTBEATS + 1) * heartbeatMs + 1_000);
    const [status] = Object.values((await notifications()).workers);
    expect(status).toStrictEqual({
      isRunning: false,
      error: expect.stringMatching(/^No heartbeat for \d+ s$/),
    });
  });
});

describe('the webhook worker, which has no BullMQ worker', () => {
  it('registers its deliveries as the work of the webhooks group', async () => {
    const running = start('webhook-worker', { WEBHOOK_CONCURRENCY: '7' });
    await waitUntil(async () => (await groups()).webhooks.healthy, {
      timeoutMs: 30_000,
      what: 'the webhook worker to run',
    }).catch(failWithOutput(running));
    const listed = await as(app, 'admin-1').get('/api/admin/jobs/workers?app=webhook-worker');
    expect(listed.json().data).toMatchObject([
      {
        group: 'webhooks',
        queues: ['webhooks'],
        pid: running.child.pid,
        concurrency: 7,
        completed: 0,
        failed: 0,
        active: 0,
        isRunning: true,
      },
    ]);
  });
});
