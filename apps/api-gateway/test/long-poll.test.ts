import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { longPollTimeoutMs } from '../src/routes/proxy/long-poll.js';
import { isLongPollRoute } from '../src/upstreams.js';
import { buildGateway, type TestGateway } from './helpers/gateway.js';
import { bearer, tokenFor } from './helpers/tokens.js';

/**
 * Short timeouts, so the spec 003 long poll (`GET /api/jobs/:jobId/wait?timeout=`) can be shown
 * to outlast them through the gateway within a second or two. undici times response headers on
 * a clock of half-second ticks, so a 300 ms timeout fires between 0.5 and 1 s after the request
 * leaves; the answers below come well clear of that window, on either side.
 */
const upstreamTimeoutMs = 300;
const longPollMaxMs = 1_000;
/** When the fake job finishes: later than a 300 ms headers timeout can possibly fire. */
const finishMs = 1_200;

let service: FastifyInstance;
let gateway: TestGateway;
let base: string;

/**
 * webhooks-svc's two job reads as a real service. The wait answers when the job finishes
 * (`?finishMs=`) or when its `timeout` (seconds) is over, whichever comes first, as the real one
 * does; `?hangMs=` makes it answer only after that long whatever the timeout (a stuck service).
 * The job itself answers after `?delayMs=`.
 */
async function startFakeWebhooks(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.get<{
    Params: { jobId: string };
    Querystring: { timeout?: string; finishMs?: string; hangMs?: string };
  }>('/api/jobs/:jobId/wait', async (request) => {
    const { timeout = '30', finishMs: finish, hangMs } = request.query;
    const waitMs = Math.min(Number(timeout) * 1_000, Number(finish ?? Infinity));
    await sleep(hangMs === undefined ? waitMs : Number(hangMs));
    const state = finish !== undefined && Number(finish) <= waitMs ? 'completed' : 'active';
    return { success: true, data: { id: request.params.jobId, state } };
  });
  app.get<{ Params: { jobId: string }; Querystring: { delayMs?: string } }>(
    '/api/jobs/:jobId',
    async (request) => {
      await sleep(Number(request.query.delayMs ?? 0));
      return { success: true, data: { id: request.params.jobId, state: 'active' } };
    },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

async function startGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const { port } = service.server.address() as AddressInfo;
  return buildGateway({
    env: {
      WEBHOOKS_URL: `http://127.0.0.1:${port}`,
      UPSTREAM_TIMEOUT_MS: String(upstreamTimeoutMs),
      LONG_POLL_MAX_MS: String(longPollMaxMs),
      ...env,
    },
  });
}

beforeAll(async () => {
  service = await startFakeWebhooks();
  gateway = await startGateway();
  base = await gateway.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await gateway?.close();
  await service?.close();
});

interface Answer {
  status: number;
  body: unknown;
  elapsedMs: number;
}

/** A GET through a listening gateway over a real connection (idle timeouts are per socket). */
function get(origin: string, path: string, agent: Agent | false = false): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(`${origin}${path}`, { agent, headers: bearer(tokenFor()) });
    outgoing.on('response', (incoming) => {
      let text = '';
      incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
      incoming.on('end', () =>
        resolve({
          status: incoming.statusCode ?? 0,
          body: JSON.parse(text) as unknown,
          elapsedMs: Date.now() - started,
        }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const timedOut = { success: false, error: 'Upstream service timed out' };

describe('long poll through the gateway', () => {
  test('a wait the service answers after longer than UPSTREAM_TIMEOUT_MS passes through with its 200', async () => {
    const answer = await get(base, `/api/jobs/job-1/wait?timeout=2&finishMs=${finishMs}`);
    expect(answer).toMatchObject({
      status: 200,
      body: { success: true, data: { id: 'job-1', state: 'completed' } },
    });
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(finishMs - 10);
  });

  test('a wait that runs to its timeout gets the service’s answer, not the gateway’s 504', async () => {
    const answer = await get(base, '/api/jobs/job-1/wait?timeout=1.2');
    expect(answer).toMatchObject({ status: 200, body: { data: { state: 'active' } } });
  });

  test('every other route keeps UPSTREAM_TIMEOUT_MS: a slow job read is still a 504', async () => {
    const answer = await get(base, '/api/jobs/job-1?delayMs=3000');
    expect(answer).toMatchObject({ status: 504, body: timedOut });
    expect(answer.elapsedMs).toBeLessThan(1_500);
  });

  test('a wait the service does not answer within its timeout plus UPSTREAM_TIMEOUT_MS is a 504', async () => {
    const answer = await get(base, '/api/jobs/job-1/wait?timeout=0.2&hangMs=5000');
    expect(answer).toMatchObject({ status: 504, body: timedOut });
    expect(answer.elapsedMs).toBeLessThan(1_500);
  });

  test('a wait longer than LONG_POLL_MAX_MS, or none, is held LONG_POLL_MAX_MS plus UPSTREAM_TIMEOUT_MS', async () => {
    const answers = await Promise.all([
      get(base, '/api/jobs/job-1/wait?timeout=3600&hangMs=5000'),
      get(base, '/api/jobs/job-1/wait?hangMs=5000'),
      get(base, '/api/jobs/job-1/wait?timeout=soon&hangMs=5000'),
    ]);
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 504, body: timedOut });
      // 1.3 s on undici's half-second clock.
      expect(answer.elapsedMs).toBeGreaterThanOrEqual(800);
      expect(answer.elapsedMs).toBeLessThan(2_500);
    }
  });

  test('the wait has an endpoint, and a rate-limit budget, of its own', async () => {
    const token = tokenFor();
    const call = (url: string) =>
      gateway.app.inject({ method: 'GET', url, headers: bearer(token) });
    const first = await call('/api/jobs/job-1/wait?timeout=0.01');
    const job = await call('/api/jobs/job-1');
    const second = await call('/api/jobs/job-2/wait?timeout=0.01');
    expect([first, job, second].map((response) => response.statusCode)).toEqual([200, 200, 200]);
    expect(first.headers['x-ratelimit-remaining']).toBe('299');
    expect(job.headers['x-ratelimit-remaining']).toBe('299');
    expect(second.headers['x-ratelimit-remaining']).toBe('298');
  });

  test('the admin long poll on any job is a long poll too, and no other admin route is', () => {
    expect(isLongPollRoute('/api/admin/jobs/jobs/:queueName/:jobId/wait')).toBe(true);
    expect(isLongPollRoute('/api/admin/jobs/jobs/:queueName/:jobId')).toBe(false);
    expect(isLongPollRoute('/api/admin/jobs/*')).toBe(false);
  });
});

describe('the client connection of a long poll', () => {
  /** An idle client connection is cut after this long, much shorter than the wait. */
  const requestTimeoutMs = 400;
  let short: TestGateway;
  let shortBase: string;

  beforeAll(async () => {
    short = await startGateway({ REQUEST_TIMEOUT_MS: String(requestTimeoutMs) });
    shortBase = await short.app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await short?.close();
  });

  test('stays open past REQUEST_TIMEOUT_MS while the service holds the answer back', async () => {
    const answer = await get(shortBase, `/api/jobs/job-1/wait?timeout=2&finishMs=${finishMs}`);
    expect(answer).toMatchObject({ status: 200, body: { data: { state: 'completed' } } });
  });

  test('gets the keep-alive timeout of any other answer back once the wait is answered', async () => {
    const sockets: Socket[] = [];
    const onConnection = (socket: Socket) => sockets.push(socket);
    short.app.server.on('connection', onConnection);
    const plainAgent = new Agent({ keepAlive: true });
    const longPollAgent = new Agent({ keepAlive: true });
    try {
      await get(shortBase, '/api/jobs/job-1', plainAgent);
      await get(shortBase, '/api/jobs/job-1/wait?timeout=0.6', longPollAgent);
      const [plain, longPoll] = sockets;
      // Node sets the keep-alive timeout as an answer finishes; the raised one must not stay.
      await expect.poll(() => plain!.timeout).not.toBe(requestTimeoutMs);
      await expect.poll(() => longPoll!.timeout).toBe(plain!.timeout);
    } finally {
      short.app.server.off('connection', onConnection);
      plainAgent.destroy();
      longPollAgent.destroy();
    }
  });
});

describe('longPollTimeoutMs', () => {
  const timeouts = { upstreamTimeoutMs: 30_000, connectTimeoutMs: 2_000, maxWaitMs: 65_000 };
  const timeoutFor = (query: Record<string, unknown>) => longPollTimeoutMs(query, timeouts);

  test('is the requested wait in seconds, fractions included, plus UPSTREAM_TIMEOUT_MS', () => {
    expect(timeoutFor({ timeout: '60' })).toBe(90_000);
    expect(timeoutFor({ timeout: '0.25' })).toBe(30_250);
  });

  test('is at most LONG_POLL_MAX_MS plus UPSTREAM_TIMEOUT_MS, which a missing or unreadable wait gets', () => {
    for (const timeout of ['3600', 'Infinity', undefined, '', 'soon', '-5', '0', ['1', '2']]) {
      expect(timeoutFor({ timeout })).toBe(95_000);
    }
  });
});
