import { jobRuns } from '@conveyor/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotentJobId } from '../../../src/jobs/idempotency.js';
import { as, sleepJob, startApp, type ErrorBody, type TestApp } from '../../helpers/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t.close();
});

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const post = (user: string, body: unknown, headers?: Record<string, string>) =>
  as(t.app, user).post('/api/jobs', body, headers);

describe('POST /api/jobs', () => {
  it('queues a user-submittable job for the caller and answers 201 with its UUID', async () => {
    const response = await post('alice', { name: 'test.sleep', data: { ms: 5, echo: 'hi' } });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toStrictEqual({ success: true, data: { jobId: expect.stringMatching(uuid) } });

    const job = await t.queue.getJob(body.data.jobId);
    expect(job?.name).toBe('test.sleep');
    expect(job?.opts.attempts).toBe(1);
    // The caller and the request ride along, so the registry and the logs can follow the job.
    expect(job?.data).toStrictEqual({
      ms: 5,
      echo: 'hi',
      ownerId: 'alice',
      requestId: response.headers['x-request-id'],
    });
  });

  it('runs the job for the caller whatever the body says the owner is', async () => {
    const response = await post(
      'alice',
      { name: 'test.sleep', data: { ms: 0, ownerId: 'mallory', requestId: 'forged' } },
      { 'x-request-id': 'req-from-gateway-1' },
    );
    const job = await t.queue.getJob(response.json().data.jobId);
    expect(job?.data).toMatchObject({ ownerId: 'alice', requestId: 'req-from-gateway-1' });
  });

  it('records the job in the registry at once, so the caller can read it right away', async () => {
    const response = await post('alice', { name: 'test.sleep', data: { ms: 0, echo: 'x' } });
    const { jobId } = response.json().data;
    const status = await as(t.app, 'alice').get(`/api/jobs/${jobId}`);
    expect(status.statusCode).toBe(200);
    expect(status.json().data).toMatchObject({ id: jobId, name: 'test.sleep', state: 'waiting' });
    const [row] = await t.deps.db.db.select().from(jobRuns).where(eq(jobRuns.jobId, jobId));
    expect(row).toMatchObject({
      queue: sleepJob.queue,
      ownerId: 'alice',
      maxAttempts: 1,
      payloadSummary: expect.objectContaining({ ms: 0, echo: 'x' }),
    });
  });

  it('takes missing data as an empty payload, which the job’s schema then judges', async () => {
    const response = await post('alice', { name: 'test.sleep' });
    expect(response.statusCode).toBe(400);
    expect(response.json<ErrorBody>().details).toEqual([
      { path: 'data.ms', message: expect.any(String) },
    ]);
  });

  describe('validation', () => {
    it.each([
      ['an unknown job', { name: 'no.such.job', data: {} }, 'name'],
      ['a catalog job users may not submit', { name: 'notification.deliver', data: {} }, 'name'],
      ['a name from the prototype', { name: 'constructor', data: {} }, 'name'],
    ])('answers 400 Invalid request body for %s', async (_what, body, path) => {
      const response = await post('alice', body);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toStrictEqual({
        success: false,
        error: 'Invalid request body',
        details: [{ path, message: 'is not a job users may submit' }],
      });
    });

    it('answers 400 with each payload issue under data.', async () => {
      const response = await post('alice', {
        name: 'test.sleep',
        data: { ms: 'soon', echo: 7 },
      });
      expect(response.statusCode).toBe(400);
      const body = response.json<ErrorBody>();
      expect(body.error).toBe('Invalid request body');
      expect(body.details?.map((issue) => issue.path).sort()).toEqual(['data.echo', 'data.ms']);
      expect(body.details?.every((issue) => issue.message.length > 0)).toBe(true);
    });

    it.each([
      ['no name', { data: {} }, 'name'],
      ['an empty name', { name: '', data: {} }, 'name'],
      ['data that is not an object', { name: 'test.sleep', data: [1] }, 'data'],
    ])('answers 400 Invalid request body for %s', async (_what, body, path) => {
      const response = await post('alice', body);
      expect(response.statusCode).toBe(400);
      const answer = response.json<ErrorBody>();
      expect(answer.error).toBe('Invalid request body');
      expect(answer.details?.map((issue) => issue.path)).toEqual([path]);
    });

    it('queues nothing for a refused request', async () => {
      const before = await t.queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed');
      await post('alice', { name: 'test.sleep', data: { ms: -1 } });
      expect(await t.queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed')).toBe(
        before,
      );
    });
  });

  describe('Idempotency-Key', () => {
    const keyed = (user: string, key: string, data: Record<string, unknown> = { ms: 0 }) =>
      post(user, { name: 'test.sleep', data }, { 'idempotency-key': key });

    it('answers a repeat with the first job’s id (200) and queues one job', async () => {
      const first = await keyed('dora', 'order-42');
      const again = await keyed('dora', 'order-42');
      expect(first.statusCode).toBe(201);
      expect(again.statusCode).toBe(200);
      const { jobId } = first.json().data;
      expect(again.json()).toStrictEqual({ success: true, data: { jobId } });
      expect(jobId).toBe(idempotentJobId('dora', 'order-42'));
      const jobs = await t.queue.getJobs(['waiting', 'active', 'completed', 'failed']);
      expect(jobs.filter((job) => job.data.ownerId === 'dora')).toHaveLength(1);
    });

    it('makes one job of concurrent repeats', async () => {
      const answers = await Promise.all(Array.from({ length: 5 }, () => keyed('erin', 'burst')));
      const ids = new Set(
        answers.map((response) => response.json<{ data: { jobId: string } }>().data.jobId),
      );
      expect(ids.size).toBe(1);
      expect(answers.every((response) => [200, 201].includes(response.statusCode))).toBe(true);
      const jobs = await t.queue.getJobs(['waiting', 'active', 'completed', 'failed']);
      expect(jobs.filter((job) => job.data.ownerId === 'erin')).toHaveLength(1);
    });

    it('still answers the job once Redis has dropped it, from the registry', async () => {
      const { jobId } = (await keyed('finn', 'nightly')).json().data;
      expect(await t.queue.remove(jobId)).toBe(1);
      const again = await keyed('finn', 'nightly');
      expect(again.statusCode).toBe(200);
      expect(again.json().data.jobId).toBe(jobId);
      expect(await t.queue.getJob(jobId)).toBeUndefined();
    });

    it('keeps users apart: one key of two users is two jobs', async () => {
      const a = (await keyed('gina', 'same-key')).json().data.jobId;
      const b = (await keyed('hank', 'same-key')).json().data.jobId;
      expect(a).not.toBe(b);
    });

    it('gives different keys different jobs', async () => {
      const a = (await keyed('gina', 'key-1')).json().data.jobId;
      const b = (await keyed('gina', 'key-2')).json().data.jobId;
      expect(a).not.toBe(b);
    });

    it('accepts 255 visible ASCII characters', async () => {
      const key = '!~'.repeat(127) + 'a';
      expect((await keyed('ivan', key)).statusCode).toBe(201);
    });

    it.each([
      ['an empty key', ''],
      ['a key with a space', 'two words'],
      ['a key of 256 characters', 'k'.repeat(256)],
      ['a key beyond ASCII', 'clé'],
    ])('answers 400 Invalid request headers for %s', async (_what, key) => {
      const response = await keyed('ivan', key);
      expect(response.statusCode).toBe(400);
      const body = response.json<ErrorBody>();
      expect(body.error).toBe('Invalid request headers');
      expect(body.details?.map((issue) => issue.path)).toEqual(['idempotency-key']);
    });
  });
});
