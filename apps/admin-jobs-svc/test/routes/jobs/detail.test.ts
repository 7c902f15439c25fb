import { QueueName } from '@conveyor/queue-contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  as,
  minutesAgo,
  seedJobRuns,
  sleepJob,
  startAdmin,
  type TestAdmin,
} from '../../helpers/jobs-fixtures.js';

let t: TestAdmin;

beforeAll(async () => {
  t = await startAdmin();
});
afterAll(async () => {
  await t.close();
});

const detail = (queue: string, jobId: string) =>
  as(t.app, 'root').get(`/api/admin/jobs/jobs/${queue}/${jobId}`);

describe('GET /api/admin/jobs/jobs/:queueName/:jobId', () => {
  it('shows a job Redis no longer holds from the registry, error and stack included', async () => {
    await seedJobRuns(t.deps, [
      {
        jobId: 'gone-1',
        ownerId: 'alice',
        state: 'failed',
        attemptsMade: 2,
        maxAttempts: 2,
        payloadSummary: { recipient: 'alice' },
        failedReason: 'SMTP 550',
        stacktrace: ['Error: SMTP 550\n    at send'],
        createdAt: minutesAgo(10),
        startedAt: minutesAgo(9),
        finishedAt: minutesAgo(8),
      },
    ]);
    const response = await detail(sleepJob.queue, 'gone-1');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({
      success: true,
      data: {
        queue: sleepJob.queue,
        jobId: 'gone-1',
        name: sleepJob.name,
        ownerId: 'alice',
        state: 'failed',
        live: false,
        progress: 0,
        attemptsMade: 2,
        maxAttempts: 2,
        payloadSummary: { recipient: 'alice' },
        data: null,
        result: null,
        failedReason: 'SMTP 550',
        stacktrace: ['Error: SMTP 550\n    at send'],
        logs: { lines: [], count: 0 },
        createdAt: minutesAgo(10).toISOString(),
        startedAt: minutesAgo(9).toISOString(),
        finishedAt: minutesAgo(8).toISOString(),
      },
    });
  });

  it('shows a job Redis holds with its payload, progress and log lines', async () => {
    const job = await t.queue.add(sleepJob.name, { ms: 5 }, { jobId: 'live-1', attempts: 3 });
    await job.updateProgress(30);
    await job.log('first line');
    await job.log('second line');
    const response = await detail(sleepJob.queue, 'live-1');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      success: true,
      data: {
        queue: sleepJob.queue,
        jobId: 'live-1',
        name: sleepJob.name,
        ownerId: null,
        state: 'waiting',
        live: true,
        progress: 30,
        attemptsMade: 0,
        maxAttempts: 3,
        data: { ms: 5 },
        result: null,
        failedReason: null,
        stacktrace: [],
        logs: { lines: ['first line', 'second line'], count: 2 },
        createdAt: new Date(job.timestamp).toISOString(),
        startedAt: null,
        finishedAt: null,
      },
    });
  });

  it('takes the owner and summary from the registry beside the live job', async () => {
    await seedJobRuns(t.deps, [
      { jobId: 'both-1', ownerId: 'bob', payloadSummary: { clip: 'c-1' }, state: 'waiting' },
    ]);
    await t.queue.add(sleepJob.name, { ms: 5 }, { jobId: 'both-1' });
    const body = (await detail(sleepJob.queue, 'both-1')).json();
    expect(body.data).toMatchObject({
      ownerId: 'bob',
      payloadSummary: { clip: 'c-1' },
      live: true,
      data: { ms: 5 },
    });
  });

  it('answers 404 Job not found to a job neither the registry nor Redis knows', async () => {
    const response = await detail(sleepJob.queue, 'no-such-job');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toStrictEqual({ success: false, error: 'Job not found' });
  });

  it('answers 404 Job not found for a job of another queue', async () => {
    const response = await detail(QueueName.searchIndexUpdate, 'live-1');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toStrictEqual({ success: false, error: 'Job not found' });
  });

  it('answers 404 Queue not found to an unknown queue', async () => {
    const response = await detail('no-such-queue', 'live-1');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toStrictEqual({ success: false, error: 'Queue not found' });
  });
});
