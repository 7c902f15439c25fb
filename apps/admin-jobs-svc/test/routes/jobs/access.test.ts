import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startAdmin, sleepJob, type TestAdmin } from '../../helpers/jobs-fixtures.js';

let t: TestAdmin;

beforeAll(async () => {
  t = await startAdmin();
});
afterAll(async () => {
  await t.close();
});

const routes = [
  ['GET', '/api/admin/jobs/jobs'],
  ['GET', `/api/admin/jobs/jobs/${sleepJob.queue}/1`],
  ['POST', `/api/admin/jobs/jobs/${sleepJob.queue}/1/cancel`],
  ['GET', `/api/admin/jobs/jobs/${sleepJob.queue}/1/wait`],
] as const;

describe.each(routes)('%s %s', (method, url) => {
  it('answers 401 Unauthorized without a token', async () => {
    const response = await t.app.inject({ method, url });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toStrictEqual({ success: false, error: 'Unauthorized' });
  });

  it('answers 403 to a CREATOR', async () => {
    const response = await (method === 'GET'
      ? as(t.app, 'carol', 'CREATOR').get(url)
      : as(t.app, 'carol', 'CREATOR').post(url));
    expect(response.statusCode).toBe(403);
    expect(response.json()).toStrictEqual({
      success: false,
      error: 'Forbidden: Admin access required',
    });
  });
});
