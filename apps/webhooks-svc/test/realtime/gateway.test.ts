import { fileURLToPath } from 'node:url';
import { DEVELOPMENT_JWT_SECRET } from '@conveyor/service-kit/auth-config';
import { bearer, testToken } from '@conveyor/service-kit/testing';
import { signToken } from '@conveyor/service-kit/tokens';
import { freePort, waitUntil } from '@conveyor/test-harness/ports';
import { startEntryPoint, type RunningProcess } from '@conveyor/test-harness/processes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  allowedOrigin,
  bearerOf,
  Client,
  cookieOf,
  createJobRunner,
  crossSite,
  newUser,
  refusal,
  startService,
  ticketFor,
  unauthorized,
  type TestService,
} from './helpers.js';

// The real gateway, as its own process (apps never import each other), in front of this
// service: what a browser reaches in production.
const gatewayDir = fileURLToPath(new URL('../../../api-gateway/', import.meta.url));

let service: TestService;
let jobs: ReturnType<typeof createJobRunner>;
let gateway: RunningProcess;
let gatewayHttp: string;
let gatewayWs: string;

beforeAll(async () => {
  service = await startService();
  jobs = createJobRunner(service);
  jobs.startWorker();
  const port = await freePort();
  gateway = startEntryPoint(
    `${gatewayDir}src/main.ts`,
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      REDIS_URL: service.deps.config.REDIS_URL,
      WEBHOOKS_URL: service.httpBase,
      CORS_ORIGINS: allowedOrigin,
    },
    { cwd: gatewayDir },
  );
  gatewayHttp = `http://127.0.0.1:${port}`;
  gatewayWs = `ws://127.0.0.1:${port}/api/realtime`;
  await waitUntil(async () => (await fetch(`${gatewayHttp}/healthz`)).ok, {
    timeoutMs: 20_000,
    what: 'the gateway',
  }).catch((error: Error) => {
    throw new Error(`${error.message}; it printed:\n${gateway.output()}`);
  });
});

afterAll(async () => {
  await gateway?.stop();
  await jobs?.close();
  await service?.close();
});

describe('/api/realtime through the gateway', () => {
  test('a bearer socket hears the user’s job events', async () => {
    const alice = newUser();
    const client = await Client.open(gatewayWs, bearerOf(alice));
    const jobId = await jobs.add({ ownerId: alice, steps: 3 });
    await client.waitFor((message) => message.type === 'job:completed');
    expect(
      client.messages
        .filter((message) => message.jobId === jobId)
        .map((message) => message.progress ?? message.type),
    ).toEqual([1, 2, 3, 'job:completed']);
    client.close();
  });

  test('a ticket bought through the gateway opens a socket with no other credential', async () => {
    const alice = newUser();
    const { ticket } = await ticketFor(gatewayHttp, testToken(alice, 'VIEWER'));
    const client = await Client.open(`${gatewayWs}?ticket=${ticket}`, { origin: allowedOrigin });
    const jobId = await jobs.add({ ownerId: alice, steps: 1 });
    await client.waitFor((message) => message.type === 'job:completed' && message.jobId === jobId);
    client.close();
  });

  test('refusals are the handshake’s HTTP answer: the gateway’s own, and the service’s', async () => {
    // The gateway refuses what it can judge: no token, a cross-site cookie.
    expect(await refusal(gatewayWs)).toEqual({ status: 401, body: unauthorized });
    expect(
      await refusal(gatewayWs, {
        headers: { ...cookieOf(newUser()).headers, origin: 'https://evil.example' },
      }),
    ).toEqual({ status: 403, body: crossSite });
    // Only the service can judge a ticket: a used one is refused by it, and the gateway
    // passes its answer on rather than opening a socket.
    const { ticket } = await ticketFor(gatewayHttp, testToken(newUser(), 'VIEWER'));
    (await Client.open(`${gatewayWs}?ticket=${ticket}`)).close();
    expect(await refusal(`${gatewayWs}?ticket=${ticket}`)).toEqual({
      status: 401,
      body: unauthorized,
    });
    // A ticket from a foreign page is refused before it is spent.
    const fresh = await ticketFor(gatewayHttp, testToken(newUser(), 'VIEWER'));
    expect(
      await refusal(`${gatewayWs}?ticket=${fresh.ticket}`, { origin: 'https://evil.example' }),
    ).toEqual({ status: 403, body: crossSite });
  });

  test('the service’s close codes reach the client: 4001 when the token expires', async () => {
    const token = signToken(
      { sub: newUser(), role: 'VIEWER' },
      { secret: DEVELOPMENT_JWT_SECRET, expiresInSeconds: 2 },
    );
    const client = await Client.open(gatewayWs, { headers: bearer(token) });
    expect(await client.closed).toEqual({ code: 4001, reason: 'Token expired' });
  });
});
