import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  as,
  idsOf,
  minutesAgo,
  seedJobRuns,
  startApp,
  type ErrorBody,
  type ListBody,
  type TestApp,
} from '../../helpers/app.js';

let t: TestApp;

/** Alice's jobs, newest first, with a uuid-like id per name so order by id is predictable. */
const alice = [
  { jobId: 'a-07', state: 'active', createdAt: minutesAgo(1) },
  { jobId: 'a-06', state: 'completed', createdAt: minutesAgo(2) },
  { jobId: 'a-05', state: 'failed', createdAt: minutesAgo(3) },
  // Two jobs of one instant: the larger id comes first.
  { jobId: 'a-04b', state: 'waiting', createdAt: minutesAgo(4) },
  { jobId: 'a-04a', state: 'delayed', createdAt: minutesAgo(4) },
  { jobId: 'a-03', state: 'completed', createdAt: minutesAgo(5) },
  { jobId: 'a-02', state: 'completed', createdAt: minutesAgo(6) },
  { jobId: 'a-01', state: 'failed', createdAt: minutesAgo(7) },
] as const;

beforeAll(async () => {
  t = await startApp();
  await seedJobRuns(t.deps, 'alice', [...alice]);
  await seedJobRuns(
    t.deps,
    'bob',
    Array.from({ length: 25 }, (_, index) => ({
      jobId: `b-${String(index).padStart(2, '0')}`,
      state: index % 5 === 0 ? ('failed' as const) : ('completed' as const),
      createdAt: minutesAgo(index),
    })),
  );
});
afterAll(async () => {
  await t.close();
});

describe('GET /api/jobs/:jobId', () => {
  it('answers every field of spec 004 "Get Job Status"', async () => {
    await seedJobRuns(t.deps, 'carol', [
      {
        jobId: '6f1c3a2e-1111-4a4a-8b8b-000000000001',
        name: 'media.preview',
        state: 'completed',
        progress: 100,
        result: { url: 'https://cdn.example.com/p.mp4', seconds: 10 },
        createdAt: new Date(1_640_995_200_000),
        startedAt: new Date(1_640_995_210_000),
        finishedAt: new Date(1_640_995_300_000),
      },
    ]);
    const response = await as(t.app, 'carol').get('/api/jobs/6f1c3a2e-1111-4a4a-8b8b-000000000001');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toStrictEqual({
      success: true,
      data: {
        id: '6f1c3a2e-1111-4a4a-8b8b-000000000001',
        name: 'media.preview',
        state: 'completed',
        progress: 100,
        result: { url: 'https://cdn.example.com/p.mp4', seconds: 10 },
        failedReason: null,
        timestamp: {
          created: 1_640_995_200_000,
          started: 1_640_995_210_000,
          finished: 1_640_995_300_000,
        },
      },
    });
  });

  it('answers null result, reason and times before they exist, and structured progress', async () => {
    await seedJobRuns(t.deps, 'carol', [
      { jobId: 'c-waiting', state: 'waiting', progress: { frames: 3 }, createdAt: minutesAgo(0) },
    ]);
    const body = (await as(t.app, 'carol').get('/api/jobs/c-waiting')).json();
    expect(body.data).toStrictEqual({
      id: 'c-waiting',
      name: 'test.sleep',
      state: 'waiting',
      progress: { frames: 3 },
      result: null,
      failedReason: null,
      timestamp: { created: minutesAgo(0).getTime(), started: null, finished: null },
    });
  });

  it('answers a failure reason', async () => {
    await seedJobRuns(t.deps, 'carol', [
      { jobId: 'c-failed', state: 'failed', failedReason: 'ffmpeg exited with 1' },
    ]);
    const body = (await as(t.app, 'carol').get('/api/jobs/c-failed')).json();
    expect(body.data).toMatchObject({ state: 'failed', failedReason: 'ffmpeg exited with 1' });
  });

  it('answers 404 Job not found alike for a missing, a malformed and another user’s id', async () => {
    const answers = await Promise.all(
      ['/api/jobs/00000000-0000-4000-8000-000000000000', '/api/jobs/%20x', '/api/jobs/b-00'].map(
        (url) => as(t.app, 'alice').get(url),
      ),
    );
    for (const response of answers) {
      expect(response.statusCode).toBe(404);
      expect(response.json()).toStrictEqual({ success: false, error: 'Job not found' });
    }
  });

  it('answers 401 without a token', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/jobs/a-01' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toStrictEqual({ success: false, error: 'Unauthorized' });
  });
});

describe('GET /api/jobs', () => {
  const list = (user: string, query = '') => as(t.app, user).get(`/api/jobs${query}`);
  const listed = async (user: string, query = '') => (await list(user, query)).json<ListBody>();

  it('answers spec 004 "List Jobs": summaries without result or reason, and pagination', async () => {
    const response = await list('alice', '?limit=1');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toStrictEqual({
      success: true,
      data: {
        jobs: [
          {
            id: 'a-07',
            name: 'test.sleep',
            state: 'active',
            progress: 0,
            timestamp: { created: minutesAgo(1).getTime(), started: null, finished: null },
          },
        ],
        pagination: { total: 8, page: 1, limit: 1, pages: 8 },
      },
    });
  });

  it('lists newest first, the larger id first within one instant, only the caller’s', async () => {
    expect(idsOf(await listed('alice'))).toEqual(alice.map((job) => job.jobId));
  });

  it('defaults to page 1 of 10 and counts the pages up', async () => {
    const body = (await list('bob')).json();
    expect(body.data.jobs).toHaveLength(10);
    expect(body.data.pagination).toStrictEqual({ total: 25, page: 1, limit: 10, pages: 3 });
  });

  it('walks the pages without repeating a job, the last one short', async () => {
    const pages = await Promise.all([1, 2, 3].map((page) => listed('bob', `?page=${page}`)));
    const ids = pages.flatMap(idsOf);
    expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => `b-${String(i).padStart(2, '0')}`));
    expect(pages[2]!.data.pagination).toStrictEqual({ total: 25, page: 3, limit: 10, pages: 3 });
  });

  it('answers an empty page past the end with the true total', async () => {
    const body = (await list('bob', '?page=9&limit=10')).json();
    expect(body.data).toStrictEqual({
      jobs: [],
      pagination: { total: 25, page: 9, limit: 10, pages: 3 },
    });
  });

  it('accepts a limit of 100 and answers a user without jobs with an empty list', async () => {
    expect((await list('bob', '?limit=100')).json().data.jobs).toHaveLength(25);
    expect((await list('nobody-yet')).json().data).toStrictEqual({
      jobs: [],
      pagination: { total: 0, page: 1, limit: 10, pages: 0 },
    });
  });

  it.each([
    ['completed', ['a-06', 'a-03', 'a-02']],
    ['failed', ['a-05', 'a-01']],
    ['active', ['a-07']],
    ['waiting', ['a-04b']],
    ['delayed', ['a-04a']],
  ])('filters by status=%s', async (status, expected) => {
    const body = await listed('alice', `?status=${status}`);
    expect(idsOf(body)).toEqual(expected);
    expect(body.data.pagination.total).toBe(expected.length);
  });

  it('counts a filtered list past its first page', async () => {
    const body = (await list('bob', '?status=completed&limit=5&page=2')).json();
    expect(body.data.jobs).toHaveLength(5);
    expect(body.data.pagination).toStrictEqual({ total: 20, page: 2, limit: 5, pages: 4 });
  });

  it.each([
    ['?limit=101', 'limit'],
    ['?limit=0', 'limit'],
    ['?page=0', 'page'],
    ['?page=abc', 'page'],
    ['?status=cancelled', 'status'],
  ])('answers 400 Invalid query parameters for %s, naming the field', async (query, field) => {
    const response = await list('alice', query);
    expect(response.statusCode).toBe(400);
    const body = response.json<ErrorBody>();
    expect(body.success).toBe(false);
    expect(body.error).toBe('Invalid query parameters');
    expect(body.details?.map((issue) => issue.path)).toEqual([field]);
  });
});
