import { DEVELOPMENT_JWT_SECRET } from '@conveyor/service-kit/auth-config';
import { bearer } from '@conveyor/service-kit/testing';
import { signToken } from '@conveyor/service-kit/tokens';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import {
  bearerOf,
  Client,
  createJobRunner,
  newUser,
  startService,
  type Message,
  type TestService,
} from './helpers.js';

let service: TestService;
let jobs: ReturnType<typeof createJobRunner>;
let url: string;

beforeAll(async () => {
  service = await startService({
    REALTIME_MAX_CONNECTIONS_PER_USER: '2',
    // The smallest value the config allows, so a slow client shows within a test's time.
    REALTIME_MAX_BUFFERED_BYTES: '16384',
    // Progress of 64 KiB, hundreds of times: nothing here needs the registry.
    JOB_REGISTRY_CONSUMER: 'false',
  });
  jobs = createJobRunner(service);
  jobs.startWorker();
  url = `${service.wsBase}/api/realtime`;
});

afterAll(async () => {
  await jobs?.close();
  await service?.close();
});

const isCompleted = (jobId: string) => (message: Message) =>
  message.type === 'job:completed' && message.jobId === jobId;

describe('limits of /api/realtime', () => {
  test('a user’s socket past REALTIME_MAX_CONNECTIONS_PER_USER is closed with 4029; a freed slot is reusable', async () => {
    const alice = newUser();
    const first = await Client.open(url, bearerOf(alice));
    const second = await Client.open(url, bearerOf(alice));
    const third = new WebSocketProbe(url, bearerOf(alice).headers);
    expect(await third.closed).toEqual({ code: 4029, reason: 'Too many connections' });
    // Another user is not affected.
    const bob = await Client.open(url, bearerOf(newUser()));

    first.close();
    await first.closed;
    const again = await Client.open(url, bearerOf(alice));
    for (const client of [second, bob, again]) client.close();
  });

  test('a socket closes with 4001 Token expired when the bearer token’s exp passes', async () => {
    const token = signToken(
      { sub: newUser(), role: 'VIEWER' },
      { secret: DEVELOPMENT_JWT_SECRET, expiresInSeconds: 2 },
    );
    const client = await Client.open(url, { headers: bearer(token) });
    const started = Date.now();
    expect(await client.closed).toEqual({ code: 4001, reason: 'Token expired' });
    expect(Date.now() - started).toBeLessThan(3_500);
  });

  test('a client that answers no ping is dropped within two heartbeats; one that answers stays', async () => {
    // An instance of its own: the paused client below must not be dropped for its silence.
    const beating = await service.startInstance({ REALTIME_HEARTBEAT_MS: '1000' });
    const beatingUrl = `${beating.wsBase}/api/realtime`;
    const silent = await Client.open(beatingUrl, { ...bearerOf(newUser()), autoPong: false });
    const lively = await Client.open(beatingUrl, bearerOf(newUser()));
    const started = Date.now();
    expect((await silent.closed).code).toBe(1006);
    expect(Date.now() - started).toBeLessThan(3_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(lively.socket.readyState).toBe(lively.socket.OPEN);
    lively.close();
  });

  test('a client that stops reading is cut off with 1013 Too slow, while another keeps receiving everything', async () => {
    const alice = newUser();
    const paused = await Client.open(url, bearerOf(alice));
    const reading = await Client.open(url, bearerOf(alice));
    // Stop reading: the server's sends pile up in the kernel's buffers, then in the process.
    const tcp = (paused.socket as unknown as { _socket: { pause(): void; resume(): void } })
      ._socket;
    tcp.pause();

    const steps = 400;
    const jobId = await jobs.add({ ownerId: alice, steps, padBytes: 64 * 1024 });
    await reading.waitFor(isCompleted(jobId), 60_000);
    expect(
      reading.ofType('job:progress').map((message) => (message.progress as { step: number }).step),
    ).toEqual(Array.from({ length: steps }, (_, index) => index + 1));
    expect(reading.socket.readyState).toBe(reading.socket.OPEN);

    // The paused client reads its backlog, which ends with the close frame.
    tcp.resume();
    expect(await paused.closed).toEqual({ code: 1013, reason: 'Too slow' });
    expect(paused.ofType('job:progress').length).toBeLessThan(steps);
    expect(paused.ofType('job:completed')).toEqual([]);
    reading.close();
  }, 90_000);
});

/** A socket that may be closed right after its handshake, before any `ready`. */
class WebSocketProbe {
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, headers: Record<string, string>) {
    const socket = new WebSocket(url, { headers });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', (code: number, reason: Buffer) =>
        resolve({ code, reason: reason.toString() }),
      ),
    );
  }
}
