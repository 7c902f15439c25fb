import { randomUUID } from 'node:crypto';
import { redisOptions } from '@conveyor/runtime/redis';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultJobOptions,
  deliverNotification,
  jobCatalog,
  QueueName,
  queueNames,
  schedules,
} from '../src/index.js';
import { createProducer, type Producer } from '../src/producer.js';

let prefix: string;
let producer: Producer;

beforeEach(() => {
  prefix = testPrefix();
  const { hostname, port } = new URL(defaultTestRedisUrl);
  producer = createProducer({
    connection: { host: hostname, port: Number(port), ...redisOptions('request') },
    prefix,
  });
});
afterEach(async () => {
  await producer.close();
  await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
});

describe('the typed producer', () => {
  it('adds a job whose payload parses, with the default options of its definition', async () => {
    const notificationId = randomUUID();
    const job = await producer.enqueue('notification.deliver', { notificationId, ownerId: 'u1' });
    expect(job.name).toBe('notification.deliver');
    expect(job.data).toEqual({ notificationId, ownerId: 'u1' });
    expect(job.opts.attempts).toBe(defaultJobOptions.attempts);
    expect(job.opts.backoff).toEqual(defaultJobOptions.backoff);
    expect(await producer.queue(QueueName.notificationDelivery).getWaitingCount()).toBe(1);
  });

  it('refuses a payload that fails its schema, and nothing enters the queue', async () => {
    await expect(
      producer.enqueue('notification.deliver', { notificationId: 'not-a-uuid' }),
    ).rejects.toThrow();
    expect(await producer.queue(QueueName.notificationDelivery).getWaitingCount()).toBe(0);
  });

  it('adds many jobs in one round trip and honours a deterministic job id', async () => {
    const ids = [randomUUID(), randomUUID()];
    await producer.enqueueMany(
      'notification.deliver',
      ids.map((notificationId) => ({
        payload: { notificationId },
        options: { jobId: `deliver-${notificationId}` },
      })),
    );
    // The same id twice is one job: a retried producer enqueues nothing new.
    await producer.enqueue(
      'notification.deliver',
      { notificationId: ids[0]! },
      { jobId: `deliver-${ids[0]}` },
    );
    expect(await producer.queue(QueueName.notificationDelivery).getWaitingCount()).toBe(2);
  });

  it('gives a job run for a user a UUID id, and a system job BullMQ’s own', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const owned = await producer.enqueue('notification.deliver', {
      notificationId: randomUUID(),
      ownerId: 'u1',
    });
    const [ownedInBulk] = await producer.enqueueMany('notification.deliver', [
      { payload: { notificationId: randomUUID(), ownerId: 'u2' } },
    ]);
    const system = await producer.enqueue('notification.deliver', { notificationId: randomUUID() });
    expect(owned.id).toMatch(uuid);
    expect(ownedInBulk?.id).toMatch(uuid);
    expect(system.id).toMatch(/^\d+$/);
  });
});

describe('upsertSchedule', () => {
  it('keeps one job scheduler per catalog schedule, with its job and options, however often it runs', async () => {
    const schedule = schedules.digestTick;
    await producer.upsertSchedule(schedule);
    await producer.upsertSchedule(schedule);
    const schedulers = await producer.queue(schedule.queue).getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({
      key: schedule.id,
      name: schedule.jobName,
      pattern: schedule.pattern,
      tz: schedule.tz,
    });
    expect(schedulers[0]?.template?.opts).toMatchObject({
      attempts: jobCatalog[schedule.jobName as 'digest.tick'].options.attempts,
    });
  });

  it('refuses a schedule whose job the catalog does not know', async () => {
    await expect(
      producer.upsertSchedule({ ...schedules.digestTick, jobName: 'no.such.job' }),
    ).rejects.toThrow('unknown job no.such.job');
  });
});

describe('the catalog', () => {
  it('maps every job to a known queue with bounded retention', () => {
    for (const job of Object.values(jobCatalog)) {
      expect(queueNames).toContain(job.queue);
      expect(job.options.removeOnComplete).toBeTruthy();
      expect(job.options.removeOnFail).toBeTruthy();
    }
    expect(deliverNotification.userSubmittable).toBe(false);
  });

  it('keeps every schedule in UTC with a cron pattern and a unique id', () => {
    const all = Object.values(schedules);
    expect(new Set(all.map((schedule) => schedule.id)).size).toBe(all.length);
    for (const schedule of all) {
      expect(schedule.tz).toBe('UTC');
      expect([5, 6]).toContain(schedule.pattern.split(' ').length);
    }
    // One hourly tick serves DAILY (09:00 local) and WEEKLY (Monday 09:00 local) digests.
    expect(schedules.digestTick.pattern).toBe('0 * * * *');
  });
});
