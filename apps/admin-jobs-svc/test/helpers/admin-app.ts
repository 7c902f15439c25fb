import type { QueueName } from '@conveyor/queue-contracts';
import { createRedis } from '@conveyor/runtime/redis';
import type { Role } from '@conveyor/service-kit/claims';
import { bearer, createTestDeps, testToken, type TestDeps } from '@conveyor/service-kit/testing';
import { deleteKeysWithPrefix, testPrefix } from '@conveyor/test-harness/redis';
import { Queue, Worker, type Job } from 'bullmq';
import type { InjectOptions } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';

export type App = Awaited<ReturnType<typeof buildApp>>;

export interface AdminTestApp {
  app: App;
  deps: TestDeps<Config>;
  /** The BullMQ prefix of this test file, deleted by `close`. */
  prefix: string;
  /** A queue of the platform under the test's prefix, for adding and inspecting jobs. */
  queue: (name: QueueName) => Queue;
  /**
   * Starts a real BullMQ worker on a queue of the test's prefix, on a blocking connection of
   * its own; `close` closes it.
   */
  startWorker: (name: QueueName, process: (job: Job) => Promise<unknown>) => Promise<Worker>;
  close: () => Promise<void>;
}

/** The app on a database and a BullMQ prefix of its own; `env` overrides config variables. */
export async function startAdminApp(env: Record<string, string> = {}): Promise<AdminTestApp> {
  const prefix = testPrefix();
  const deps = await createTestDeps(loadConfig, { ...env, BULL_PREFIX: prefix });
  const app = await buildApp(deps);
  await app.ready();
  const queues = new Map<QueueName, Queue>();
  const workers: Worker[] = [];
  const workerRedis = createRedis(deps.config.REDIS_URL, 'worker');
  workerRedis.on('error', () => undefined);
  const queue = (name: QueueName) => {
    let opened = queues.get(name);
    if (!opened) {
      opened = new Queue(name, { connection: deps.redis, prefix });
      queues.set(name, opened);
    }
    return opened;
  };
  return {
    app,
    deps,
    prefix,
    queue,
    async startWorker(name, process) {
      const worker = new Worker(name, process, { connection: workerRedis, prefix });
      worker.on('error', () => undefined);
      workers.push(worker);
      await worker.waitUntilReady();
      return worker;
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      await app.close();
      await Promise.all([...queues.values()].map((opened) => opened.close()));
      workerRedis.disconnect();
      await deleteKeysWithPrefix(deps.config.REDIS_URL, prefix);
      await deps.cleanup();
    },
  };
}

type Method = 'GET' | 'POST';

/** Requests as one user, ADMIN unless told: `as(app, 'root').get('/api/admin/jobs/queues')`. */
export function as(app: App, sub: string, role: Role = 'ADMIN') {
  return requests(app, bearer(testToken(sub, role)));
}

/** Requests without a token. */
export const anonymous = (app: App) => requests(app, {});

function requests(app: App, headers: Record<string, string>) {
  const send = (method: Method, url: string, body?: unknown) =>
    app.inject({
      method,
      url,
      headers,
      ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
    });
  return {
    get: (url: string) => send('GET', url),
    post: (url: string, body?: unknown) => send('POST', url, body),
  };
}

/** The error envelope, for typed reads of `response.json<ErrorBody>()`. */
export interface ErrorBody {
  success: false;
  error: string;
  details?: { path: string; message: string }[];
}

/**
 * A processor that fails each job's first run and completes every later one (`{ run }`), as a
 * job whose cause of failure was fixed before an admin retried it.
 */
export function failingFirstRun(): (job: Job) => Promise<{ run: number }> {
  const runs = new Map<string, number>();
  return async (job) => {
    const run = (runs.get(job.id!) ?? 0) + 1;
    runs.set(job.id!, run);
    if (run === 1) throw new Error('first run fails');
    return { run };
  };
}
