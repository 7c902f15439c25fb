import { randomUUID } from 'node:crypto';
import { jobRuns } from '@conveyor/db/schema';
import { QueueName } from '@conveyor/queue-contracts';
import { createMetricsRegistry } from '@conveyor/runtime/metrics';
import { createRedis } from '@conveyor/runtime/redis';
import { DEFAULT_SESSION_COOKIE } from '@conveyor/service-kit/auth-config';
import { bearer, createTestDeps, testToken, type TestDeps } from '@conveyor/service-kit/testing';
import { waitUntil } from '@conveyor/test-harness/ports';
import { deleteKeysWithPrefix, testPrefix } from '@conveyor/test-harness/redis';
import { Queue, Worker, type Job } from 'bullmq';
import { eq } from 'drizzle-orm';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';

export type App = Awaited<ReturnType<typeof buildApp>>;

export const allowedOrigin = 'https://app.conveyor.test';

/** One listening instance of the service. */
export interface Instance {
  app: App;
  /** `ws://127.0.0.1:<port>` */
  wsBase: string;
  /** `http://127.0.0.1:<port>` */
  httpBase: string;
}

export interface TestService extends Instance {
  deps: TestDeps<Config>;
  /** The BullMQ prefix of this test file. */
  prefix: string;
  /**
   * Another instance on the same Redis and database, as a second replica would be; `env`
   * changes its config.
   */
  startInstance: (env?: Record<string, string>) => Promise<Instance>;
  close: () => Promise<void>;
}

async function listen(app: App): Promise<Instance> {
  await app.ready();
  const httpBase = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, httpBase, wsBase: httpBase.replace(/^http/, 'ws') };
}

/** The service on a database and a BullMQ prefix of its own, listening on a free port. */
export async function startService(env: Record<string, string> = {}): Promise<TestService> {
  const prefix = testPrefix();
  const deps = await createTestDeps(loadConfig, {
    BULL_PREFIX: prefix,
    CORS_ORIGINS: allowedOrigin,
    ...env,
  });
  // What createTestDeps loaded the config from, for instances with a config of their own.
  const configEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: deps.database.url,
    BULL_PREFIX: prefix,
    CORS_ORIGINS: allowedOrigin,
    ...env,
  };
  const first = await listen(await buildApp(deps));
  const others: App[] = [];
  return {
    ...first,
    deps,
    prefix,
    async startInstance(env = {}) {
      const config = loadConfig({ ...configEnv, ...env });
      // A registry of its own: a process holds one app, and metric names are unique per registry.
      const metrics = createMetricsRegistry('webhooks-svc-test');
      const app = await buildApp({ ...deps, config, metrics });
      others.push(app);
      return listen(app);
    },
    async close() {
      await Promise.all([first.app, ...others].map((app) => app.close()));
      await deleteKeysWithPrefix(deps.config.REDIS_URL, prefix);
      await deps.cleanup();
    },
  };
}

/** What the test worker does with a job: progress steps, then a result or a failure. */
export interface ScriptedJob {
  ownerId: string;
  /** Progress reports 1..steps (`{ step, pad }` objects when `padBytes` is set). */
  steps?: number;
  padBytes?: number;
  /** Every attempt fails with this reason. */
  fail?: string;
}

/**
 * Real BullMQ on the service's prefix: a queue the service's hub reads, and a worker that runs
 * scripted jobs with `job.updateProgress`. The worker starts when asked, so a test can look at a
 * job (and subscribe to it) before it runs.
 */
export function createJobRunner(service: TestService) {
  const { prefix } = service;
  const url = service.deps.config.REDIS_URL;
  const queueName = QueueName.mediaPreview;
  const queueRedis = createRedis(url, 'worker');
  const workerRedis = createRedis(url, 'worker');
  for (const client of [queueRedis, workerRedis]) client.on('error', () => undefined);
  const queue = new Queue(queueName, { connection: queueRedis, prefix });
  let worker: Worker | undefined;

  const run = async (job: Job<ScriptedJob>) => {
    const { steps = 0, padBytes, fail } = job.data;
    for (let step = 1; step <= steps; step += 1) {
      await job.updateProgress(padBytes ? { step, pad: 'x'.repeat(padBytes) } : step);
    }
    if (fail !== undefined) throw new Error(fail);
    return { steps };
  };

  return {
    /** Adds a job for `ownerId` (retried `attempts` times at once) and answers its id. */
    async add(script: ScriptedJob, attempts = 1): Promise<string> {
      const jobId = randomUUID();
      await queue.add('test.realtime', script, { jobId, attempts, backoff: 0 });
      return jobId;
    },
    /** Holds every job in the queue (BullMQ pause) until `release`. */
    hold: () => queue.pause(),
    release: () => queue.resume(),
    startWorker(): void {
      worker ??= new Worker(queueName, run, { connection: workerRedis, prefix });
      worker.on('error', () => undefined);
    },
    /** Resolves once the registry consumer has written the job's `job_runs` row. */
    async registered(jobId: string): Promise<void> {
      const { db } = service.deps.db;
      await waitUntil(
        async () => (await db.select().from(jobRuns).where(eq(jobRuns.jobId, jobId))).length > 0,
        { what: `job ${jobId} in job_runs` },
      );
    },
    async close() {
      await worker?.close();
      await queue.close();
      queueRedis.disconnect();
      workerRedis.disconnect();
    },
  };
}

export { Client, refusal, type Message } from '@conveyor/realtime/testing';

export const unauthorized = { success: false, error: 'Unauthorized' };
export const crossSite = { success: false, error: 'Forbidden: cross-site request refused' };

/** A user of its own for each test, so no test hears another's events. */
export const newUser = () => `user-${randomUUID()}`;

export const bearerOf = (sub: string) => ({ headers: bearer(testToken(sub, 'VIEWER')) });
export const cookieOf = (sub: string) => ({
  headers: { cookie: `${DEFAULT_SESSION_COOKIE}=${testToken(sub, 'VIEWER')}` },
});

/** Trades a bearer token for a ticket over HTTP. */
export async function ticketFor(
  httpBase: string,
  token: string,
): Promise<{ ticket: string; expiresAt: string }> {
  const response = await fetch(`${httpBase}/api/realtime/ticket`, {
    method: 'POST',
    headers: bearer(token),
  });
  if (response.status !== 200) throw new Error(`ticket answered ${response.status}`);
  return ((await response.json()) as { data: { ticket: string; expiresAt: string } }).data;
}
