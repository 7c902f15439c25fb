import { publishUserEvents } from '@conveyor/job-events/user-events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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
  service = await startService();
  jobs = createJobRunner(service);
  jobs.startWorker();
  url = `${service.wsBase}/api/realtime`;
});

afterAll(async () => {
  await jobs?.close();
  await service?.close();
});

const isFinal = (jobId: string) => (message: Message) =>
  message.jobId === jobId && (message.type === 'job:completed' || message.type === 'job:failed');

describe('job events on /api/realtime', () => {
  test('a user hears job:progress and job:completed of an own job, in order, with its fields', async () => {
    const alice = newUser();
    const client = await Client.open(url, bearerOf(alice));
    const jobId = await jobs.add({ ownerId: alice, steps: 3 });
    await client.waitFor(isFinal(jobId));

    const ofJob = client.messages.filter((message) => message.jobId === jobId);
    expect(ofJob.map((message) => message.type)).toEqual([
      'job:progress',
      'job:progress',
      'job:progress',
      'job:completed',
    ]);
    expect(ofJob.map((message) => message.progress ?? message.result)).toEqual([
      1,
      2,
      3,
      { steps: 3 },
    ]);
    for (const message of ofJob) {
      expect(message).toMatchObject({ jobId, name: 'test.realtime' });
      expect(typeof message.timestamp).toBe('number');
    }
    client.close();
  });

  test('a failure BullMQ retries is no job:failed; the final one is, with its reason', async () => {
    const alice = newUser();
    const client = await Client.open(url, bearerOf(alice));
    const jobId = await jobs.add({ ownerId: alice, steps: 1, fail: 'disk full' }, 2);
    const failed = await client.waitFor(isFinal(jobId));
    expect(failed).toMatchObject({ type: 'job:failed', jobId, failedReason: 'disk full' });
    const ofJob = client.messages.filter((message) => message.jobId === jobId);
    // One progress per attempt, one failure for the job.
    expect(ofJob.map((message) => message.type)).toEqual([
      'job:progress',
      'job:progress',
      'job:failed',
    ]);
    client.close();
  });

  test('events of many jobs arrive in order per job, on every socket of the user', async () => {
    const alice = newUser();
    const first = await Client.open(url, bearerOf(alice));
    const second = await Client.open(url, bearerOf(alice));
    const ids = await Promise.all(
      Array.from({ length: 5 }, () => jobs.add({ ownerId: alice, steps: 20 })),
    );
    for (const client of [first, second]) {
      for (const jobId of ids) {
        await client.waitFor(isFinal(jobId));
        const steps = client.messages
          .filter((message) => message.jobId === jobId && message.type === 'job:progress')
          .map((message) => message.progress);
        expect(steps).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
      }
      client.close();
    }
  });

  test('a user never hears another user’s job events', async () => {
    const [alice, bob] = [newUser(), newUser()];
    const aliceClient = await Client.open(url, bearerOf(alice));
    const bobClient = await Client.open(url, bearerOf(bob));
    const aliceJob = await jobs.add({ ownerId: alice, steps: 2 });
    const bobJob = await jobs.add({ ownerId: bob, steps: 2 });
    await aliceClient.waitFor(isFinal(aliceJob));
    await bobClient.waitFor(isFinal(bobJob));
    expect(aliceClient.messages.some((message) => message.jobId === bobJob)).toBe(false);
    expect(bobClient.messages.some((message) => message.jobId === aliceJob)).toBe(false);
    aliceClient.close();
    bobClient.close();
  });
});

describe('subscribe:job', () => {
  test('adds job:<jobId>:progress|completed beside the user-wide events, for an own job', async () => {
    const alice = newUser();
    const client = await Client.open(url, bearerOf(alice));
    await jobs.hold();
    const jobId = await jobs.add({ ownerId: alice, steps: 2 });
    await jobs.registered(jobId);
    client.send({ type: 'subscribe:job', jobId });
    expect(await client.waitFor((message) => message.type === 'subscribed')).toEqual({
      type: 'subscribed',
      jobId,
    });
    await jobs.release();
    await client.waitFor((message) => message.type === `job:${jobId}:completed`);
    const events = client.messages.filter((message) => message.type.startsWith('job:'));
    expect(events.map((message) => message.type)).toEqual([
      'job:progress',
      `job:${jobId}:progress`,
      'job:progress',
      `job:${jobId}:progress`,
      'job:completed',
      `job:${jobId}:completed`,
    ]);
    expect(events.find((message) => message.type === `job:${jobId}:completed`)).toEqual({
      ...events.find((message) => message.type === 'job:completed'),
      type: `job:${jobId}:completed`,
    });
    client.close();
  });

  test('unsubscribe:job ends the job:<jobId>:* events; the user-wide ones go on', async () => {
    const alice = newUser();
    const client = await Client.open(url, bearerOf(alice));
    await jobs.hold();
    const jobId = await jobs.add({ ownerId: alice, steps: 2 });
    await jobs.registered(jobId);
    client.send({ type: 'subscribe:job', jobId });
    client.send({ type: 'unsubscribe:job', jobId });
    expect(await client.waitFor((message) => message.type === 'unsubscribed')).toEqual({
      type: 'unsubscribed',
      jobId,
    });
    await jobs.release();
    await client.waitFor(isFinal(jobId));
    expect(
      client.messages.filter((message) => message.type.startsWith('job:')).map((m) => m.type),
    ).toEqual(['job:progress', 'job:progress', 'job:completed']);
    client.close();
  });

  test('another user’s job id subscribes to nothing and answers Job not found, as a missing one', async () => {
    const [alice, mallory] = [newUser(), newUser()];
    const malloryClient = await Client.open(url, bearerOf(mallory));
    await jobs.hold();
    const aliceJob = await jobs.add({ ownerId: alice, steps: 2 });
    await jobs.registered(aliceJob);

    malloryClient.send({ type: 'subscribe:job', jobId: aliceJob });
    const refused = await malloryClient.waitFor((message) => message.type === 'error');
    malloryClient.send({ type: 'subscribe:job', jobId: 'no-such-job' });
    await malloryClient.waitFor((message) => message.jobId === 'no-such-job');
    expect(malloryClient.ofType('error')).toEqual([
      { type: 'error', message: 'Job not found', jobId: aliceJob },
      { type: 'error', message: 'Job not found', jobId: 'no-such-job' },
    ]);
    expect(refused.jobId).toBe(aliceJob);

    // Alice's job runs to its end, then one of Mallory's; Mallory hears none of Alice's, by
    // either name.
    const aliceClient = await Client.open(url, bearerOf(alice));
    await jobs.release();
    await aliceClient.waitFor(isFinal(aliceJob));
    const malloryJob = await jobs.add({ ownerId: mallory, steps: 1 });
    await malloryClient.waitFor(isFinal(malloryJob));
    const heard = malloryClient.messages.filter((message) => message.type !== 'error');
    expect(heard.some((message) => message.jobId === aliceJob)).toBe(false);
    expect(heard.some((message) => message.type.includes(aliceJob))).toBe(false);
    aliceClient.close();
    malloryClient.close();
  });
});

describe('other messages', () => {
  test('notification:new reaches the user’s sockets only, with unreadCount', async () => {
    const [alice, bob] = [newUser(), newUser()];
    const aliceClient = await Client.open(url, bearerOf(alice));
    const bobClient = await Client.open(url, bearerOf(bob));
    await publishUserEvents(service.deps.redis, service.prefix, [
      {
        type: 'notification:new',
        userId: alice,
        notificationId: 'n-1',
        title: 'Hi',
        unreadCount: 3,
      },
      { type: 'notification:new', userId: bob, notificationId: 'n-2', title: 'Yo', unreadCount: 1 },
    ]);
    expect(await aliceClient.waitFor((message) => message.type === 'notification:new')).toEqual({
      type: 'notification:new',
      notificationId: 'n-1',
      title: 'Hi',
      unreadCount: 3,
    });
    await bobClient.waitFor((message) => message.type === 'notification:new');
    expect(bobClient.ofType('notification:new')).toEqual([
      { type: 'notification:new', notificationId: 'n-2', title: 'Yo', unreadCount: 1 },
    ]);
    aliceClient.close();
    bobClient.close();
  });

  test('a bad message is answered with an error and the socket stays open; ping answers pong', async () => {
    const client = await Client.open(url, bearerOf(newUser()));
    client.send('{not json');
    client.send({ type: 'launch:missiles' });
    client.send(['subscribe:job']);
    client.send({ type: 'subscribe:job' });
    client.send({ type: 'subscribe:job', jobId: 'x'.repeat(201) });
    client.send({ type: 'ping' });
    await client.waitFor((message) => message.type === 'pong');
    expect(client.ofType('error').map((message) => message.message)).toEqual([
      'Invalid JSON',
      'Unknown message type',
      'Unknown message type',
      'Invalid message',
      'Invalid message',
    ]);
    client.close();
    expect((await client.closed).code).toBe(1005);
  });

  test('a frame larger than 64 KiB closes the socket with 1009', async () => {
    const client = await Client.open(url, bearerOf(newUser()));
    client.send({ type: 'ping', pad: 'x'.repeat(65 * 1024) });
    expect((await client.closed).code).toBe(1009);
  });
});
