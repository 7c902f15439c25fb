import type { AddressInfo } from 'node:net';
import { bearer, testToken } from '@conveyor/service-kit/testing';
import { waitUntil } from '@conveyor/test-harness/ports';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  as,
  retryingSleepJob,
  startApp,
  submit,
  type App,
  type ErrorBody,
  type JobStatusBody,
  type TestApp,
} from '../../helpers/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
  await t.startWorker();
});
afterAll(async () => {
  await t.close();
});

const wait = (user: string, jobId: string, query = '') =>
  as(t.app, user).get(`/api/jobs/${jobId}/wait${query}`);
const timed = async <T>(work: Promise<T>) => {
  const started = Date.now();
  const value = await work;
  return { value, ms: Date.now() - started, at: Date.now() };
};

/** Counts the hub subscriptions the app holds, through the hub the routes use. */
function countSubscriptions(app: App) {
  const hub = app.jobEvents;
  const subscribe = hub.subscribeJob.bind(hub);
  const counter = { open: 0 };
  hub.subscribeJob = (jobId, listener) => {
    counter.open += 1;
    const unsubscribe = subscribe(jobId, listener);
    let done = false;
    return () => {
      if (!done) counter.open -= 1;
      done = true;
      unsubscribe();
    };
  };
  return counter;
}

describe('GET /api/jobs/:jobId/wait', () => {
  it('answers within 100 ms of the job completing, with the GET body', async () => {
    const jobId = await submit(t.app, 'alice', { ms: 400, echo: 'done' });
    const { value: response, at } = await timed(wait('alice', jobId, '?timeout=10'));
    const finishedOn = (await t.queue.getJob(jobId))!.finishedOn!;
    expect(at - finishedOn).toBeLessThan(100);
    expect(response.statusCode).toBe(200);
    const body = response.json<JobStatusBody>();
    expect(body).toStrictEqual({
      success: true,
      data: {
        id: jobId,
        name: 'test.sleep',
        state: 'completed',
        progress: expect.anything(),
        result: { echo: 'done' },
        failedReason: null,
        timestamp: {
          created: expect.any(Number),
          started: expect.toBeOneOf([expect.any(Number), null]),
          finished: expect.any(Number),
        },
      },
    });
    // Once the registry has caught up, polling says the same.
    await waitUntil(
      async () =>
        (await as(t.app, 'alice').get(`/api/jobs/${jobId}`)).json().data.state === 'completed',
      { what: 'registry' },
    );
    const polled = (await as(t.app, 'alice').get(`/api/jobs/${jobId}`)).json<JobStatusBody>();
    expect(polled.data).toMatchObject({
      state: 'completed',
      result: { echo: 'done' },
      timestamp: { created: body.data.timestamp.created, finished: body.data.timestamp.finished },
    });
  });

  it('answers within 100 ms of a final failure, with its reason', async () => {
    const jobId = await submit(t.app, 'alice', { ms: 300, fail: 'codec missing' });
    const { value: response, at } = await timed(wait('alice', jobId, '?timeout=10'));
    const finishedOn = (await t.queue.getJob(jobId))!.finishedOn!;
    expect(at - finishedOn).toBeLessThan(100);
    expect(response.json<JobStatusBody>().data).toMatchObject({
      state: 'failed',
      failedReason: 'codec missing',
      result: null,
    });
  });

  it('keeps waiting through a failed attempt that will be retried', async () => {
    const jobId = await submit(t.app, 'alice', { ms: 0, fail: 'flaky' }, retryingSleepJob.name);
    const { value: response, ms } = await timed(wait('alice', jobId, '?timeout=1'));
    expect(ms).toBeGreaterThanOrEqual(1_000);
    expect(response.json<JobStatusBody>().data.state).not.toBe('failed');
    expect(await t.queue.getJobState(jobId)).toBe('delayed');
  });

  it('answers with the current state at the timeout', async () => {
    const jobId = await submit(t.app, 'alice', { ms: 5_000 });
    await waitUntil(async () => (await t.queue.getJobState(jobId)) === 'active', {
      what: 'job start',
    });
    const { value: response, ms } = await timed(wait('alice', jobId, '?timeout=0.5'));
    expect(ms).toBeGreaterThanOrEqual(500);
    expect(ms).toBeLessThan(800);
    expect(response.statusCode).toBe(200);
    const data = response.json<JobStatusBody>().data;
    expect(data).toMatchObject({ id: jobId, result: null, failedReason: null });
    expect(['waiting', 'active']).toContain(data.state);
    expect(data.timestamp.finished).toBeNull();
  });

  it('answers a finished job at once, exactly as GET does', async () => {
    const jobId = await submit(t.app, 'alice', { ms: 0, echo: 'early' });
    await waitUntil(
      async () =>
        (await as(t.app, 'alice').get(`/api/jobs/${jobId}`)).json().data.state === 'completed',
      { what: 'registry' },
    );
    const { value: response, ms } = await timed(wait('alice', jobId, '?timeout=30'));
    expect(ms).toBeLessThan(100);
    expect(response.json()).toStrictEqual(
      (await as(t.app, 'alice').get(`/api/jobs/${jobId}`)).json(),
    );
  });

  it('answers 404 Job not found, at once, for another user’s job and an unknown id', async () => {
    const jobId = await submit(t.app, 'alice', { ms: 2_000 });
    for (const id of [jobId, '00000000-0000-4000-8000-000000000000']) {
      const { value: response, ms } = await timed(wait('bob', id, '?timeout=5'));
      expect(ms).toBeLessThan(200);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toStrictEqual({ success: false, error: 'Job not found' });
    }
  });

  it.each(['?timeout=0', '?timeout=-1', '?timeout=61', '?timeout=soon'])(
    'answers 400 Invalid query parameters for %s',
    async (query) => {
      const response = await wait('alice', 'any', query);
      expect(response.statusCode).toBe(400);
      const body = response.json<ErrorBody>();
      expect(body.error).toBe('Invalid query parameters');
      expect(body.details?.map((issue) => issue.path)).toEqual(['timeout']);
    },
  );

  it('releases its subscription when the client goes away', async () => {
    const subscriptions = countSubscriptions(t.app);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as AddressInfo;
    const jobId = await submit(t.app, 'alice', { ms: 10_000 });
    const client = new AbortController();
    const request = fetch(`http://127.0.0.1:${port}/api/jobs/${jobId}/wait?timeout=30`, {
      headers: bearer(testToken('alice', 'VIEWER')),
      signal: client.signal,
    }).catch(() => 'aborted');
    await waitUntil(() => subscriptions.open === 1, { what: 'the wait to subscribe' });
    client.abort();
    expect(await request).toBe('aborted');
    await waitUntil(() => subscriptions.open === 0, {
      what: 'the subscription to go',
      timeoutMs: 1_000,
    });
  });
});

describe('a wait longer than the connection timeout', () => {
  let short: TestApp;
  beforeAll(async () => {
    // The server cuts connections idle this long; a long poll must outlast it.
    short = await startApp({ REQUEST_TIMEOUT_MS: '300' });
    await short.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await short.close();
  });

  it('holds the connection for the whole wait', async () => {
    const jobId = await submit(short.app, 'alice', { ms: 0 });
    const { port } = short.app.server.address() as AddressInfo;
    const { value: response, ms } = await timed(
      fetch(`http://127.0.0.1:${port}/api/jobs/${jobId}/wait?timeout=1`, {
        headers: bearer(testToken('alice', 'VIEWER')),
      }),
    );
    expect(response.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(1_000);
    expect(((await response.json()) as JobStatusBody).data.state).toBe('waiting');
  });
});

describe('a registry that lags behind BullMQ', () => {
  let lagging: TestApp;
  beforeAll(async () => {
    // No consumer: the registry keeps the row the submission wrote, `waiting`, for good.
    lagging = await startApp({ JOB_REGISTRY_CONSUMER: 'false' });
    await lagging.startWorker();
  });
  afterAll(async () => {
    await lagging.close();
  });

  it('answers a job BullMQ has finished at once, from BullMQ', async () => {
    const jobId = await submit(lagging.app, 'alice', { ms: 0, echo: 'from redis' });
    await waitUntil(async () => (await lagging.queue.getJobState(jobId)) === 'completed', {
      what: 'job end',
    });
    const { value: response, ms } = await timed(
      as(lagging.app, 'alice').get(`/api/jobs/${jobId}/wait?timeout=10`),
    );
    expect(ms).toBeLessThan(200);
    const finishedOn = (await lagging.queue.getJob(jobId))!.finishedOn!;
    expect(response.json<JobStatusBody>().data).toMatchObject({
      state: 'completed',
      result: { echo: 'from redis' },
      timestamp: { finished: finishedOn },
    });
  });
});
