import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../../helpers/app.js';

let t: TestApp;
let document: { paths: Record<string, Record<string, Operation>> };

interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

beforeAll(async () => {
  t = await startApp();
  document = (await t.app.inject({ url: '/openapi.json' })).json();
});
afterAll(async () => {
  await t.close();
});

const routes: [method: string, path: string, successes: string[], errors: string[]][] = [
  ['get', '/api/jobs', ['200'], ['400']],
  ['post', '/api/jobs', ['200', '201'], ['400', '404']],
  ['get', '/api/jobs/{jobId}', ['200'], ['404']],
  ['post', '/api/jobs/{jobId}/cancel', ['200'], ['404', '409']],
  ['get', '/api/jobs/{jobId}/wait', ['200'], ['400', '404']],
];

describe('the OpenAPI document', () => {
  it.each(routes)(
    'describes %s %s with the jobs tag, a summary, a description and its responses',
    (method, path, successes, errors) => {
      const operation = document.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation!.tags).toEqual(['jobs']);
      expect(operation!.summary).toEqual(expect.any(String));
      expect(operation!.description).toEqual(expect.any(String));
      expect(Object.keys(operation!.responses).sort()).toEqual(
        [...successes, ...errors, '401', '500', '503'].sort(),
      );
      for (const response of Object.values(operation!.responses)) {
        expect(response.content?.['application/json']?.schema).toBeDefined();
      }
    },
  );

  it('documents the parameters: list query, wait timeout, and the optional Idempotency-Key', () => {
    const names = (operation: Operation | undefined) =>
      operation?.parameters?.map((parameter) => `${parameter.in}:${parameter.name}`).sort();
    expect(names(document.paths['/api/jobs']?.get)).toEqual([
      'query:limit',
      'query:page',
      'query:status',
    ]);
    expect(names(document.paths['/api/jobs/{jobId}/wait']?.get)).toEqual([
      'path:jobId',
      'query:timeout',
    ]);
    const submit = document.paths['/api/jobs']?.post;
    const key = submit?.parameters?.find((parameter) => parameter.name === 'idempotency-key');
    expect(key).toMatchObject({ in: 'header', required: false });
  });
});
