import { createDb, type DbHandle } from '@conveyor/db/client';
import { jobRuns, users } from '@conveyor/db/schema';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import type { QueueName } from '@conveyor/queue-contracts';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { and, eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../src/events.js';
import { createJobInfoReader, type JobInfoReader } from '../src/job-info.js';
import { applyJobEvents, pruneJobRuns, recordNewJobs } from '../src/registry.js';
import { idleQueue, quickRetry, readEvents, startJobs, testQueue, type Jobs } from './fixtures.js';

const prefix = testPrefix();
let database: TestDatabase;
let handle: DbHandle;
let redis: Redis;
let jobs: Jobs;
let readInfo: JobInfoReader;

beforeAll(async () => {
  database = await createTestDatabase();
  handle = createDb(database.url, { max: 4 });
  await handle.db.insert(users).values([
    { id: 'alice', role: 'CREATOR' },
    { id: 'bob', role: 'BRAND' },
  ]);
  redis = new Redis(defaultTestRedisUrl);
  jobs = startJobs(prefix);
  readInfo = createJobInfoReader(redis, prefix);
});
afterAll(async () => {
  await jobs.close();
  redis.disconnect();
  await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
  await handle.close();
  await database.drop();
});

const withInfo = (events: JobEvent[]) =>
  Promise.all(
    events.map(async (event) => ({ event, info: await readInfo(event.queue, event.jobId) })),
  );

/** Applies the job's events as they stand in the stream now; returns them. */
async function applyStream(jobId: string, queue: QueueName = testQueue): Promise<JobEvent[]> {
  const events = await readEvents(redis, prefix, queue, [jobId]);
  await applyJobEvents(handle.db, await withInfo(events));
  return events;
}

async function row(jobId: string, queue: string = testQueue) {
  const [found] = await handle.db
    .select()
    .from(jobRuns)
    .where(and(eq(jobRuns.queue, queue), eq(jobRuns.jobId, jobId)));
  return found;
}

describe('applyJobEvents', () => {
  it('records a completed job with its owner, payload, result, one attempt and times', async () => {
    const id = await jobs.add('ok', { ownerId: 'alice', clipId: 'c-1' }, { attempts: 3 });
    await jobs.finished(id);
    const events = await applyStream(id);
    const run = await row(id);
    expect(run).toMatchObject({
      name: 'ok',
      ownerId: 'alice',
      state: 'completed',
      result: { ok: true, attempt: 1 },
      failedReason: null,
      attemptsMade: 1,
      maxAttempts: 3,
      payloadSummary: { clipId: 'c-1' },
      lastEventId: events.at(-1)!.streamId,
    });
    const active = events.find((event) => event.type === 'active')!;
    expect(run!.startedAt!.getTime()).toBe(active.at);
    expect(run!.finishedAt!.getTime()).toBe(events.at(-1)!.at);
    expect(run!.updatedAt.getTime()).toBe(events.at(-1)!.at);
    expect(run!.createdAt.getTime()).toBe((await jobs.queue.getJob(id))!.timestamp);
    // Stored as JSON values, not as JSON text inside a string.
    const [types] = await handle.sql<{ result: string; summary: string }[]>`
      select jsonb_typeof(result) as result, jsonb_typeof(payload_summary) as summary
      from job_runs where job_id = ${id}`;
    expect(types).toEqual({ result: 'object', summary: 'object' });
  });

  it('records a job that failed, was retried and completed: delayed in between', async () => {
    const id = await jobs.add('flaky', { ownerId: 'bob' }, quickRetry);
    await jobs.finished(id);
    const events = await readEvents(redis, prefix, testQueue, [id]);
    const retry = events.findIndex((event) => event.type === 'delayed');
    await applyJobEvents(handle.db, await withInfo(events.slice(0, retry + 1)));
    expect(await row(id)).toMatchObject({ state: 'delayed', attemptsMade: 1, finishedAt: null });

    await applyJobEvents(handle.db, await withInfo(events));
    const run = await row(id);
    expect(run).toMatchObject({ state: 'completed', result: 'recovered', attemptsMade: 2 });
    // The first attempt's start stays the job's start.
    expect(run!.startedAt!.getTime()).toBe(events.find((e) => e.type === 'active')!.at);
  });

  it('records a job that failed for good after two attempts', async () => {
    const id = await jobs.add('broken', { ownerId: 'alice' }, quickRetry);
    await jobs.finished(id);
    const events = await applyStream(id);
    const run = await row(id);
    expect(run).toMatchObject({
      state: 'failed',
      failedReason: 'broken for good',
      attemptsMade: 2,
      maxAttempts: 2,
      result: null,
    });
    expect(run!.finishedAt!.getTime()).toBe(events.at(-1)!.at);
  });

  it('records a delayed job as delayed until it runs', async () => {
    const id = await jobs.add('ok', { ownerId: 'alice' }, { delay: 300 });
    await applyStream(id);
    expect(await row(id)).toMatchObject({ state: 'delayed', startedAt: null });
    await jobs.finished(id);
    await applyStream(id);
    expect(await row(id)).toMatchObject({ state: 'completed', attemptsMade: 1 });
  });

  it('records a waiting job removed before it ran as failed, with reason removed', async () => {
    const job = await jobs.idle.add('never-run', { ownerId: 'bob' }, { jobId: 'removed-1' });
    await applyStream(job.id!, idleQueue);
    expect(await row(job.id!, idleQueue)).toMatchObject({ state: 'waiting', ownerId: 'bob' });
    await job.remove();
    const events = await applyStream(job.id!, idleQueue);
    const run = await row(job.id!, idleQueue);
    expect(run).toMatchObject({ state: 'failed', failedReason: 'removed' });
    expect(run!.finishedAt!.getTime()).toBe(events.at(-1)!.at);
  });

  it('skips the events of a job gone from Redis that has no row', async () => {
    const job = await jobs.idle.add('gone', {}, { jobId: 'gone-1' });
    await job.remove();
    const events = await readEvents(redis, prefix, idleQueue, ['gone-1']);
    expect(await applyJobEvents(handle.db, await withInfo(events))).toBe(0);
    expect(await row('gone-1', idleQueue)).toBeUndefined();
  });

  it('changes nothing when the same batch is applied twice', async () => {
    const id = await jobs.add('progress', { ownerId: 'alice' });
    await jobs.finished(id);
    const batch = await withInfo(await readEvents(redis, prefix, testQueue, [id]));
    expect(await applyJobEvents(handle.db, batch)).toBe(1);
    const before = await row(id);
    expect(await applyJobEvents(handle.db, batch)).toBe(0);
    expect(await row(id)).toEqual(before);
  });

  it('changes nothing with an older event after a newer one', async () => {
    const id = await jobs.add('progress', { ownerId: 'alice', steps: [10, 90] });
    await jobs.finished(id);
    const events = await applyStream(id);
    const before = await row(id);
    const older = await withInfo(
      events.filter((e) => e.type === 'active' || e.type === 'progress'),
    );
    expect(await applyJobEvents(handle.db, older)).toBe(0);
    expect(await row(id)).toEqual(before);
  });

  it('writes a hundred progress events, in any order, as the newest progress', async () => {
    const steps = Array.from({ length: 100 }, (_, i) => i + 1);
    const job = await jobs.idle.add('busy', { ownerId: 'alice' }, { jobId: 'progress-100' });
    for (const step of steps) await job.updateProgress(step);
    const events = await readEvents(redis, prefix, idleQueue, [job.id!]);
    const shuffled = [...events].sort(() => Math.random() - 0.5);
    expect(await applyJobEvents(handle.db, await withInfo(shuffled))).toBe(1);
    expect(await row(job.id!, idleQueue)).toMatchObject({
      state: 'waiting',
      progress: 100,
      lastEventId: events.at(-1)!.streamId,
    });
  });

  it('records a job whose owner is not a known user without an owner', async () => {
    const job = await jobs.idle.add('orphan', { ownerId: 'nobody' }, { jobId: 'orphan-1' });
    await applyStream(job.id!, idleQueue);
    expect(await row(job.id!, idleQueue)).toMatchObject({ state: 'waiting', ownerId: null });
  });
});

describe('recordNewJobs', () => {
  const recorded = async (jobId: string, queue: QueueName = testQueue) => {
    const info = (await readInfo(queue, jobId))!;
    await recordNewJobs(handle.db, [{ queue, jobId, info }]);
  };

  it('writes a waiting row that the consumer then takes as its own', async () => {
    const id = await jobs.add('ok', { ownerId: 'alice', clipId: 'c-2' }, { attempts: 3 });
    await recorded(id);
    expect(await row(id)).toMatchObject({
      name: 'ok',
      ownerId: 'alice',
      state: 'waiting',
      maxAttempts: 3,
      payloadSummary: { clipId: 'c-2' },
      lastEventId: null,
    });
    await jobs.finished(id);
    const events = await applyStream(id);
    expect(await row(id)).toMatchObject({
      state: 'completed',
      result: { ok: true, attempt: 1 },
      attemptsMade: 1,
      lastEventId: events.at(-1)!.streamId,
    });
  });

  it('never overwrites a row the consumer wrote', async () => {
    const id = await jobs.add('ok', { ownerId: 'bob' });
    await jobs.finished(id);
    await applyStream(id);
    const before = await row(id);
    await recorded(id);
    expect(await row(id)).toEqual(before);
  });

  it('stores what the consumer stores: no NUL, no owner unknown here', async () => {
    const info = {
      name: 'nul\u0000name',
      ownerId: 'nobody',
      payloadSummary: { note: 'a\u0000b' },
      maxAttempts: 1,
      createdAt: Date.now(),
    };
    await recordNewJobs(handle.db, [{ queue: 'record-test', jobId: 'sanitized', info }]);
    expect(await row('sanitized', 'record-test')).toMatchObject({
      name: 'nulname',
      ownerId: null,
      payloadSummary: { note: 'ab' },
    });
  });
});

describe('pruneJobRuns', () => {
  it('deletes finished runs older than the cut-off and keeps the rest', async () => {
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
    const base = { queue: 'prune-test', name: 'old' };
    await handle.db.insert(jobRuns).values([
      { ...base, jobId: 'old-done', state: 'completed', finishedAt: daysAgo(100) },
      { ...base, jobId: 'old-failed', state: 'failed', finishedAt: daysAgo(91) },
      { ...base, jobId: 'recent', state: 'completed', finishedAt: daysAgo(10) },
      { ...base, jobId: 'old-waiting', state: 'waiting', createdAt: daysAgo(200) },
    ]);
    expect(await pruneJobRuns(handle.db)).toBe(2);
    const left = await handle.db
      .select({ jobId: jobRuns.jobId })
      .from(jobRuns)
      .where(eq(jobRuns.queue, 'prune-test'))
      .orderBy(jobRuns.jobId);
    expect(left.map((r) => r.jobId)).toEqual(['old-waiting', 'recent']);
    expect(await pruneJobRuns(handle.db, 5)).toBe(1);
  });

  it('deletes nothing once its signal has aborted', async () => {
    const finishedAt = new Date(Date.now() - 100 * 86_400_000);
    await handle.db
      .insert(jobRuns)
      .values({ queue: 'prune-test', jobId: 'kept', name: 'old', state: 'completed', finishedAt });
    expect(await pruneJobRuns(handle.db, 90, { signal: AbortSignal.abort() })).toBe(0);
    expect(await row('kept', 'prune-test')).toBeDefined();
  });
});
