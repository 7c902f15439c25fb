import { jobRuns, users } from '@conveyor/db/schema';
import {
  jobCatalog,
  JobMetaSchema,
  QueueName,
  type JobDefinition,
} from '@conveyor/queue-contracts';
import { createLogger } from '@conveyor/runtime/logger';
import { createRedis } from '@conveyor/runtime/redis';
import type { Role } from '@conveyor/service-kit/claims';
import { bearer, createTestDeps, testToken, type TestDeps } from '@conveyor/service-kit/testing';
import { deleteKeysWithPrefix, testPrefix } from '@conveyor/test-harness/redis';
import { bindProcessor, createQueueWorker, type QueueWorker } from '@conveyor/worker-kit/worker';
import { eventsStreamKey } from '@conveyor/job-events/events';
import { waitUntil } from '@conveyor/test-harness/ports';
import { Queue } from 'bullmq';
import type { InjectOptions } from 'fastify';
import { z } from 'zod';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';

export type App = Awaited<ReturnType<typeof buildApp>>;

/**
 * The test's user-submittable job, on the queue media previews will use. It sleeps `ms`
 * (reporting progress half-way), stopping early when cancelled; then fails with `fail` if set,
 * or returns `{ echo }`.
 */
export const sleepJob = {
  queue: QueueName.mediaPreview,
  name: 'test.sleep',
  payload: JobMetaSchema.extend({
    ms: z.number().int().min(0).max(60_000),
    echo: z.string().optional(),
    fail: z.string().optional(),
  }),
  result: z.object({ echo: z.string().nullable() }),
  options: { attempts: 1 },
  userSubmittable: true,
} satisfies JobDefinition;

/** The same job with retries 60 s apart: after a failed attempt it waits `delayed`. */
export const retryingSleepJob = {
  ...sleepJob,
  name: 'test.sleep-retrying',
  options: { attempts: 3, backoff: { type: 'fixed', delay: 60_000 } },
} satisfies JobDefinition;

export const testCatalog = {
  ...jobCatalog,
  [sleepJob.name]: sleepJob,
  [retryingSleepJob.name]: retryingSleepJob,
};

type SleepPayload = z.output<typeof sleepJob.payload>;

/** Sleeps like `sleepJob` says; resolves early with the abort reason's rejection on cancel. */
async function sleep(
  payload: SleepPayload,
  report: (progress: number) => Promise<void>,
  signal: AbortSignal,
) {
  const pause = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(signal.reason as Error);
        },
        { once: true },
      );
    });
  await pause(payload.ms / 2);
  await report(50);
  await pause(payload.ms / 2);
  if (payload.fail !== undefined) throw new Error(payload.fail);
  return { echo: payload.echo ?? null };
}

export interface TestApp {
  app: App;
  deps: TestDeps<Config>;
  /** The BullMQ prefix of this test file, deleted by `close`. */
  prefix: string;
  /** The test job's queue, for looking at what was queued. */
  queue: Queue;
  /** Starts a real BullMQ worker for the test jobs (once). */
  startWorker: () => Promise<QueueWorker>;
  close: () => Promise<void>;
}

/** The app on a database and a BullMQ prefix of its own, with the test catalog. */
export async function startApp(env: Record<string, string> = {}): Promise<TestApp> {
  const prefix = testPrefix();
  const deps = await createTestDeps(loadConfig, { BULL_PREFIX: prefix, ...env });
  const app = await buildApp({ ...deps, catalog: testCatalog });
  await app.ready();
  const queue = new Queue(sleepJob.queue, { connection: deps.redis, prefix });
  const workerRedis = createRedis(deps.config.REDIS_URL, 'worker');
  workerRedis.on('error', () => undefined);
  let worker: QueueWorker | undefined;
  return {
    app,
    deps,
    prefix,
    queue,
    async startWorker() {
      worker ??= createQueueWorker({
        processors: [sleepJob, retryingSleepJob].map((definition) =>
          bindProcessor(definition, (payload, job, signal) =>
            sleep(payload, (progress) => job.updateProgress(progress), signal),
          ),
        ),
        connection: workerRedis,
        prefix,
        concurrency: 8,
        logger: createLogger({ app: 'test-worker', level: 'silent', pretty: false }),
      });
      await worker.cancellable;
      return worker;
    },
    close: async () => {
      await worker?.close();
      await app.close();
      await queue.close();
      workerRedis.disconnect();
      await deleteKeysWithPrefix(deps.config.REDIS_URL, prefix);
      await deps.cleanup();
    },
  };
}

/**
 * Resolves once the registry consumer has applied and acknowledged every event of the test
 * queue's stream so far: what the registry will say about them, it says now.
 */
export async function registryCaughtUp(t: TestApp): Promise<void> {
  const key = eventsStreamKey(t.prefix, sleepJob.queue);
  await waitUntil(
    async () => {
      const [newest] = await t.deps.redis.xrevrange(key, '+', '-', 'COUNT', 1);
      const groups = (await t.deps.redis.xinfo('GROUPS', key)) as unknown[][];
      const registry = groups
        .map((fields) => new Map(fieldPairs(fields)))
        .find((group) => group.get('name') === 'job-registry');
      return registry?.get('last-delivered-id') === newest?.[0] && registry?.get('pending') === 0;
    },
    { what: 'the registry consumer to catch up' },
  );
}

const fieldPairs = (fields: unknown[]): [unknown, unknown][] =>
  Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]]);

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Requests as one user: `as(app, 'alice').get('/api/jobs')`. */
export function as(app: App, sub: string, role: Role = 'VIEWER') {
  const auth = bearer(testToken(sub, role));
  const send = (
    method: Method,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    app.inject({
      method,
      url,
      headers: { ...auth, ...headers },
      ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
    });
  return {
    get: (url: string) => send('GET', url),
    post: (url: string, body?: unknown, headers?: Record<string, string>) =>
      send('POST', url, body, headers),
    put: (url: string, body?: unknown) => send('PUT', url, body),
    delete: (url: string) => send('DELETE', url),
  };
}

/** Submits the test job as `sub` and answers its id. */
export async function submit(
  app: App,
  sub: string,
  data: Partial<SleepPayload> = {},
  name: string = sleepJob.name,
): Promise<string> {
  const response = await as(app, sub).post('/api/jobs', { name, data: { ms: 0, ...data } });
  if (response.statusCode !== 201) throw new Error(`submit answered ${response.body}`);
  return response.json<{ data: { jobId: string } }>().data.jobId;
}

export async function seedUsers(deps: TestDeps<Config>, ...ids: string[]) {
  await deps.db.db
    .insert(users)
    .values(ids.map((id) => ({ id, role: 'VIEWER' as const })))
    .onConflictDoNothing();
}

export type JobRunSeed = Partial<typeof jobRuns.$inferInsert> & { jobId: string };

/** Registry rows written directly, as the consumer would have written them. */
export async function seedJobRuns(deps: TestDeps<Config>, ownerId: string, rows: JobRunSeed[]) {
  await seedUsers(deps, ownerId);
  await deps.db.db
    .insert(jobRuns)
    .values(rows.map((row) => ({ queue: sleepJob.queue, name: sleepJob.name, ...row, ownerId })));
}

/** A timestamp `minutes` before a fixed instant, for fixtures that need a known order. */
export const minutesAgo = (minutes: number) =>
  new Date(Date.UTC(2025, 9, 18, 12, 0, 0) - minutes * 60_000);

/** The body of a job status, for typed reads of `response.json<StatusBody>()`. */
export interface JobStatusBody {
  success: true;
  data: {
    id: string;
    name: string;
    state: string;
    progress: number | Record<string, unknown>;
    result: unknown;
    failedReason: string | null;
    timestamp: { created: number; started: number | null; finished: number | null };
  };
}

/** The body of `GET /api/jobs`. */
export interface ListBody {
  success: true;
  data: {
    jobs: Omit<JobStatusBody['data'], 'result' | 'failedReason'>[];
    pagination: { total: number; page: number; limit: number; pages: number };
  };
}

/** The ids of a list's page, in order. */
export const idsOf = (body: ListBody) => body.data.jobs.map((job) => job.id);

/** The error envelope, for typed reads of `response.json<ErrorBody>()`. */
export interface ErrorBody {
  success: false;
  error: string;
  details?: { path: string; message: string }[];
}
