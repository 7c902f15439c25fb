import { waitUntil } from '@conveyor/test-harness/ports';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { startPrivateRedis, type PrivateServer } from '@conveyor/test-harness/servers';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../src/events.js';
import {
  createJobEventHub,
  type JobEventHub,
  type OwnedJobEvent,
  type QueueJobEvent,
} from '../src/hub.js';
import { jobEventsQueues } from '../src/registry.js';
import { publishUserEvents, type UserEvent } from '../src/user-events.js';
import {
  capturingLogger,
  idleQueue,
  silentLogger,
  startJobs,
  testQueue,
  type Jobs,
} from './fixtures.js';

const prefix = testPrefix();
let redis: Redis;
let jobs: Jobs;
const hubs: JobEventHub[] = [];

beforeAll(() => {
  redis = new Redis(defaultTestRedisUrl);
  jobs = startJobs(prefix);
});
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.close()));
});
afterAll(async () => {
  await jobs.close();
  redis.disconnect();
  await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
});

async function openHub(
  options: { logger?: ReturnType<typeof silentLogger>; redisUrl?: string } = {},
) {
  const hub = await createJobEventHub({
    redisUrl: options.redisUrl ?? defaultTestRedisUrl,
    prefix,
    queues: jobEventsQueues(),
    logger: options.logger ?? silentLogger(),
    blockMs: 100,
  });
  hubs.push(hub);
  return hub;
}

type Heard = OwnedJobEvent | UserEvent;
const isJobEvent = (event: Heard): event is OwnedJobEvent => 'jobId' in event;

function listen(hub: JobEventHub, userId: string): Heard[] {
  const heard: Heard[] = [];
  hub.subscribeUser(userId, (event) => heard.push(event));
  return heard;
}

const completedOf = (heard: Heard[], jobId: string) => () =>
  heard.some((event) => isJobEvent(event) && event.jobId === jobId && event.type === 'completed');

const notification = (userId: string, title: string): UserEvent => ({
  type: 'notification:new',
  userId,
  notificationId: `n-${title}`,
  title,
  unreadCount: 1,
});

describe('createJobEventHub', () => {
  it("delivers a user only their own jobs' events, and no job without an owner", async () => {
    const hub = await openHub();
    const alice = listen(hub, 'alice');
    const bob = listen(hub, 'bob');
    const aliceJob = await jobs.add('ok', { ownerId: 'alice' });
    const bobJob = await jobs.add('ok', { ownerId: 'bob' });
    const systemJob = await jobs.add('ok', {});
    await waitUntil(completedOf(alice, aliceJob), { what: "alice's job" });
    await waitUntil(completedOf(bob, bobJob), { what: "bob's job" });
    await jobs.finished(systemJob);
    // The system job finished after both; give the hub a read to deliver it, if it would.
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(alice.filter(isJobEvent).every((event) => event.jobId === aliceJob)).toBe(true);
    expect(bob.filter(isJobEvent).every((event) => event.jobId === bobJob)).toBe(true);
    expect(alice.map((event) => event.type)).toEqual(['added', 'waiting', 'active', 'completed']);
    expect(alice.at(-1)).toMatchObject({
      queue: testQueue,
      name: 'ok',
      ownerId: 'alice',
      result: { ok: true, attempt: 1 },
    });
  });

  it("delivers one job's events with its owner to its subscribers, until they leave", async () => {
    const hub = await openHub();
    const heard: OwnedJobEvent[] = [];
    const other: OwnedJobEvent[] = [];
    const jobId = await jobs.add('ok', { ownerId: 'carol' }, { delay: 150 });
    const leave = hub.subscribeJob(jobId, (event) => heard.push(event));
    hub.subscribeJob('some-other-job', (event) => other.push(event));
    await waitUntil(() => heard.some((event) => event.type === 'completed'), { what: 'the job' });
    expect(heard.every((event) => event.jobId === jobId && event.ownerId === 'carol')).toBe(true);
    expect(other).toEqual([]);

    leave();
    const count = heard.length;
    await jobs.queue.getJob(jobId).then((job) => job!.updateProgress(42));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heard).toHaveLength(count);
  });

  it("delivers one queue's job to its subscribers whoever owns it, system jobs too", async () => {
    const hub = await openHub();
    const heard: JobEvent[] = [];
    const elsewhere: JobEvent[] = [];
    const jobId = await jobs.add('ok', {}, { delay: 150 });
    const leave = hub.subscribeQueueJob(testQueue, jobId, (event) => heard.push(event));
    hub.subscribeQueueJob(idleQueue, jobId, (event) => elsewhere.push(event));
    await waitUntil(() => heard.some((event) => event.type === 'completed'), { what: 'the job' });
    expect(heard.every((event) => event.jobId === jobId && event.queue === testQueue)).toBe(true);
    expect(heard.at(-1)).toMatchObject({ result: { ok: true, attempt: 1 } });
    expect(elsewhere).toEqual([]);

    leave();
    const count = heard.length;
    await jobs.queue.getJob(jobId).then((job) => job!.updateProgress(42));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heard).toHaveLength(count);
  });

  it('delivers every job of a queue to its watchers, with name and owner, in order', async () => {
    const hub = await openHub();
    const heard: QueueJobEvent[] = [];
    const elsewhere: QueueJobEvent[] = [];
    const leave = hub.subscribeQueue(testQueue, (event) => heard.push(event));
    hub.subscribeQueue(idleQueue, (event) => elsewhere.push(event));
    const owned = await jobs.add('ok', { ownerId: 'carol' });
    const system = await jobs.add('ok', {});
    await waitUntil(
      () =>
        [owned, system].every((id) => heard.some((e) => e.jobId === id && e.type === 'completed')),
      { what: 'both jobs' },
    );
    expect(heard.find((event) => event.jobId === owned)).toMatchObject({
      queue: testQueue,
      name: 'ok',
      ownerId: 'carol',
    });
    expect(heard.find((event) => event.jobId === system)).toMatchObject({ ownerId: null });
    const ownedTypes = heard.filter((event) => event.jobId === owned).map((event) => event.type);
    expect(ownedTypes.indexOf('active')).toBeLessThan(ownedTypes.indexOf('completed'));
    expect(elsewhere).toEqual([]);

    leave();
    const count = heard.length;
    await jobs.add('ok', {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heard).toHaveLength(count);
  });

  it('delivers progress events in order', async () => {
    const hub = await openHub();
    const heard = listen(hub, 'alice');
    const steps = Array.from({ length: 20 }, (_, i) => (i + 1) * 5);
    const jobId = await jobs.add('progress', { ownerId: 'alice', steps });
    await waitUntil(completedOf(heard, jobId), { what: 'the job' });
    const progress = heard.filter((event) => event.type === 'progress');
    expect(progress.map((event) => (event as OwnedJobEvent).progress)).toEqual(steps);
  });

  it('delivers user events to their user only', async () => {
    const hub = await openHub();
    const alice = listen(hub, 'alice');
    const bob = listen(hub, 'bob');
    await publishUserEvents(redis, prefix, [
      notification('alice', 'one'),
      notification('bob', 'two'),
      notification('alice', 'three'),
    ]);
    await waitUntil(() => alice.length === 2 && bob.length === 1, { what: 'the user events' });
    expect(alice).toEqual([notification('alice', 'one'), notification('alice', 'three')]);
    expect(bob).toEqual([notification('bob', 'two')]);
  });

  it('delivers every event to every hub, as to every service instance', async () => {
    const [first, second] = [await openHub(), await openHub()];
    const heardFirst = listen(first, 'dave');
    const heardSecond = listen(second, 'dave');
    const jobId = await jobs.add('ok', { ownerId: 'dave' });
    await publishUserEvents(redis, prefix, [notification('dave', 'both')]);
    await waitUntil(completedOf(heardFirst, jobId), { what: 'the first hub' });
    await waitUntil(completedOf(heardSecond, jobId), { what: 'the second hub' });
    expect(heardFirst.some((event) => event.type === 'notification:new')).toBe(true);
    expect(heardSecond.some((event) => event.type === 'notification:new')).toBe(true);
  });

  it('logs a listener that throws and goes on delivering, to it and to the others', async () => {
    const { logger, lines } = capturingLogger();
    const hub = await openHub({ logger });
    let calls = 0;
    hub.subscribeUser('erin', () => {
      calls += 1;
      throw new Error('listener bug');
    });
    const heard = listen(hub, 'erin');
    const first = await jobs.add('ok', { ownerId: 'erin' });
    await waitUntil(completedOf(heard, first), { what: 'the first job' });
    const second = await jobs.add('ok', { ownerId: 'erin' });
    await waitUntil(completedOf(heard, second), { what: 'the second job' });
    expect(calls).toBe(heard.length);
    expect(lines.some((line) => line.msg === 'user event listener threw')).toBe(true);
  });
});

describe('createJobEventHub across a Redis outage', () => {
  let server: PrivateServer;
  beforeAll(async () => {
    server = await startPrivateRedis();
  });
  afterAll(async () => {
    await server.destroy();
  });

  it('reconnects by itself and delivers what comes after', async () => {
    const hub = await openHub({ redisUrl: server.url });
    const heard = listen(hub, 'frank');
    const publisher = new Redis(server.url, { maxRetriesPerRequest: null });
    publisher.on('error', () => undefined);
    try {
      await publishUserEvents(publisher, prefix, [notification('frank', 'before')]);
      await waitUntil(() => heard.length === 1, { what: 'the event before the outage' });
      await server.stop();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await server.start();
      await publishUserEvents(publisher, prefix, [notification('frank', 'after')]);
      await waitUntil(() => heard.length === 2, { what: 'the event after the outage' });
      expect(heard.at(-1)).toEqual(notification('frank', 'after'));
    } finally {
      publisher.disconnect();
    }
  });
});
