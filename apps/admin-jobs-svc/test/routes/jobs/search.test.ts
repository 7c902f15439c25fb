import { QueueName } from '@conveyor/queue-contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  as,
  minutesAgo,
  seedJobRuns,
  sleepJob,
  startAdmin,
  type ErrorBody,
  type TestAdmin,
} from '../../helpers/jobs-fixtures.js';

let t: TestAdmin;

interface SearchBody {
  success: true;
  data: { jobId: string; [field: string]: unknown }[];
  pagination: {
    page: number;
    pageSize: number;
    total: number;
    totalExact: boolean;
    totalPages: number;
  };
}

const search = async (query: string) => {
  const response = await as(t.app, 'root').get(`/api/admin/jobs/jobs${query}`);
  expect(response.statusCode).toBe(200);
  return response.json<SearchBody>();
};
const idsOf = (body: SearchBody) => body.data.map((job) => job.jobId);

beforeAll(async () => {
  t = await startAdmin();
  await seedJobRuns(t.deps, [
    { jobId: 'a1', ownerId: 'alice', state: 'completed', createdAt: minutesAgo(50) },
    {
      jobId: 'a2',
      ownerId: 'alice',
      state: 'failed',
      failedReason: `SMTP 550 mailbox unavailable ${'x'.repeat(300)}`,
      attemptsMade: 3,
      maxAttempts: 3,
      createdAt: minutesAgo(40),
      startedAt: minutesAgo(39),
      finishedAt: minutesAgo(38),
    },
    { jobId: 'b1', ownerId: 'bob', state: 'active', progress: 40, createdAt: minutesAgo(30) },
    {
      jobId: 's1',
      queue: QueueName.searchIndexUpdate,
      name: 'search.reindex',
      payloadSummary: { entity: 'brand-campaign' },
      createdAt: minutesAgo(20),
    },
    { jobId: 'b2', ownerId: 'bob', state: 'waiting', createdAt: minutesAgo(10) },
  ]);
});
afterAll(async () => {
  await t.close();
});

describe('GET /api/admin/jobs/jobs', () => {
  it('lists every owner’s jobs newest first, with the list shape', async () => {
    const body = await search('');
    expect(idsOf(body)).toStrictEqual(['b2', 's1', 'b1', 'a2', 'a1']);
    expect(body.pagination).toStrictEqual({
      page: 1,
      pageSize: 20,
      total: 5,
      totalExact: true,
      totalPages: 1,
    });
    const failed = body.data.find((job) => job.jobId === 'a2');
    expect(failed).toStrictEqual({
      queue: sleepJob.queue,
      jobId: 'a2',
      name: sleepJob.name,
      ownerId: 'alice',
      state: 'failed',
      progress: 0,
      attemptsMade: 3,
      maxAttempts: 3,
      failedReason: expect.stringMatching(/^SMTP 550 mailbox unavailable x+…$/),
      createdAt: minutesAgo(40).toISOString(),
      startedAt: minutesAgo(39).toISOString(),
      finishedAt: minutesAgo(38).toISOString(),
    });
    expect((failed?.failedReason as string).length).toBe(200);
  });

  it('filters by state, owner, queue and name', async () => {
    expect(idsOf(await search('?state=failed'))).toStrictEqual(['a2']);
    expect(idsOf(await search('?ownerId=bob'))).toStrictEqual(['b2', 'b1']);
    expect(idsOf(await search('?ownerId=bob&state=active'))).toStrictEqual(['b1']);
    expect(idsOf(await search(`?queue=${QueueName.searchIndexUpdate}`))).toStrictEqual(['s1']);
    expect(idsOf(await search('?name=search.reindex'))).toStrictEqual(['s1']);
  });

  it('filters by a creation time range, both ends included', async () => {
    const from = encodeURIComponent(minutesAgo(40).toISOString());
    const to = encodeURIComponent(minutesAgo(20).toISOString());
    expect(idsOf(await search(`?from=${from}&to=${to}`))).toStrictEqual(['s1', 'b1', 'a2']);
  });

  it('finds words of the error text, the payload summary and the name', async () => {
    expect(idsOf(await search('?q=mailbox'))).toStrictEqual(['a2']);
    expect(idsOf(await search('?q=brand-campaign'))).toStrictEqual(['s1']);
    expect(idsOf(await search('?q=search.reindex'))).toStrictEqual(['s1']);
    expect(idsOf(await search('?q=nothing-like-this'))).toStrictEqual([]);
  });

  it('pages, with the total of the filtered list', async () => {
    const second = await search('?page=2&limit=2');
    expect(idsOf(second)).toStrictEqual(['b1', 'a2']);
    expect(second.pagination).toStrictEqual({
      page: 2,
      pageSize: 2,
      total: 5,
      totalExact: true,
      totalPages: 3,
    });
    const past = await search('?page=9&limit=2');
    expect(past.data).toStrictEqual([]);
    expect(past.pagination.total).toBe(5);
  });

  it.each([['?state=stuck'], ['?limit=0'], ['?limit=101'], ['?from=yesterday'], ['?page=0']])(
    'answers 400 Invalid query parameters to %s',
    async (query) => {
      const response = await as(t.app, 'root').get(`/api/admin/jobs/jobs${query}`);
      expect(response.statusCode).toBe(400);
      expect(response.json<ErrorBody>()).toMatchObject({
        success: false,
        error: 'Invalid query parameters',
      });
    },
  );
});
