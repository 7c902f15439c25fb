import { testToken } from '@conveyor/service-kit/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bearerOf,
  Client,
  createJobRunner,
  newUser,
  startService,
  ticketFor,
  type Instance,
  type TestService,
} from './helpers.js';

let service: TestService;
let second: Instance;
let jobs: ReturnType<typeof createJobRunner>;

beforeAll(async () => {
  service = await startService();
  second = await service.startInstance();
  jobs = createJobRunner(service);
  jobs.startWorker();
});

afterAll(async () => {
  await jobs?.close();
  await service?.close();
});

describe('two instances of the service on one Redis', () => {
  test('a user’s sockets on either instance hear every event of the user’s jobs, in order', async () => {
    const alice = newUser();
    const onFirst = await Client.open(`${service.wsBase}/api/realtime`, bearerOf(alice));
    const onSecond = await Client.open(`${second.wsBase}/api/realtime`, bearerOf(alice));
    const bobOnSecond = await Client.open(`${second.wsBase}/api/realtime`, bearerOf(newUser()));
    const jobId = await jobs.add({ ownerId: alice, steps: 10 });
    for (const client of [onFirst, onSecond]) {
      await client.waitFor((message) => message.type === 'job:completed');
      expect(
        client.messages
          .filter((message) => message.jobId === jobId)
          .map((message) => message.progress ?? message.type),
      ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 'job:completed']);
    }
    expect(bobOnSecond.messages.some((message) => message.jobId === jobId)).toBe(false);
    for (const client of [onFirst, onSecond, bobOnSecond]) client.close();
  });

  test('an instance that shuts down closes its sockets with 1001; the other keeps serving', async () => {
    const alice = newUser();
    const leaving = await service.startInstance();
    const onLeaving = await Client.open(`${leaving.wsBase}/api/realtime`, bearerOf(alice));
    const onSecond = await Client.open(`${second.wsBase}/api/realtime`, bearerOf(alice));
    await leaving.app.close();
    expect(await onLeaving.closed).toEqual({ code: 1001, reason: 'Server shutting down' });
    const jobId = await jobs.add({ ownerId: alice, steps: 1 });
    await onSecond.waitFor(
      (message) => message.type === 'job:completed' && message.jobId === jobId,
    );
    onSecond.close();
  });

  test('a ticket issued by one instance opens a socket on the other, once', async () => {
    const { ticket } = await ticketFor(service.httpBase, testToken(newUser(), 'VIEWER'));
    const client = await Client.open(`${second.wsBase}/api/realtime?ticket=${ticket}`);
    await expect(Client.open(`${service.wsBase}/api/realtime?ticket=${ticket}`)).rejects.toThrow(
      /401/,
    );
    client.close();
  });
});
