import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../../helpers/app.js';

let t: TestApp;
let document: { paths: Record<string, Record<string, Operation>> };

interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: { additionalProperties?: unknown } }> };
  responses: Record<
    string,
    { description?: string; content?: Record<string, { schema: unknown }> }
  >;
}

beforeAll(async () => {
  t = await startApp();
  document = (await t.app.inject({ url: '/openapi.json' })).json();
});
afterAll(async () => {
  await t.close();
});

const routes: [method: string, path: string, successes: string[], errors: string[]][] = [
  ['get', '/api/webhooks', ['200'], []],
  ['post', '/api/webhooks', ['201'], ['400', '409']],
  ['get', '/api/webhooks/{id}', ['200'], ['404']],
  ['put', '/api/webhooks/{id}', ['200'], ['400', '404']],
  ['delete', '/api/webhooks/{id}', ['200'], ['404']],
  ['get', '/api/webhooks/{id}/deliveries', ['200'], ['400', '404']],
  ['post', '/api/webhooks/{id}/deliveries/{deliveryId}/resend', ['202'], ['404', '409']],
  ['post', '/api/webhooks/{id}/rotate-secret', ['200'], ['404']],
  ['post', '/api/webhooks/{id}/test', ['202'], ['404', '409']],
];

describe('the OpenAPI document', () => {
  it.each(routes)(
    'describes %s %s with the webhooks tag, a summary, a description and its responses',
    (method, path, successes, errors) => {
      const operation = document.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation!.tags).toEqual(['webhooks']);
      expect(operation!.summary).toEqual(expect.any(String));
      expect(operation!.description).toEqual(expect.any(String));
      expect(Object.keys(operation!.responses).sort()).toEqual(
        [...successes, ...errors, '401', '500', '503'].sort(),
      );
      for (const response of Object.values(operation!.responses)) {
        expect(response.description).toEqual(expect.any(String));
        expect(response.content?.['application/json']?.schema).toBeDefined();
      }
    },
  );

  it('names the 409 texts and the 404 texts', () => {
    const create = document.paths['/api/webhooks']?.post;
    expect(create?.responses['409']?.description).toContain('Webhook limit reached');
    const resend = document.paths['/api/webhooks/{id}/deliveries/{deliveryId}/resend']?.post;
    expect(resend?.responses['409']?.description).toContain('Delivery in progress');
    expect(resend?.responses['409']?.description).toContain('Webhook is disabled');
    expect(resend?.responses['404']?.description).toContain('Delivery not found');
  });

  it('documents the deliveries query and refuses unknown body fields', () => {
    const names = document.paths['/api/webhooks/{id}/deliveries']?.get?.parameters
      ?.map((parameter) => `${parameter.in}:${parameter.name}`)
      .sort();
    expect(names).toEqual(['path:id', 'query:limit', 'query:page', 'query:state']);
    for (const [path, method] of [
      ['/api/webhooks', 'post'],
      ['/api/webhooks/{id}', 'put'],
    ] as const) {
      const body = document.paths[path]?.[method]?.requestBody?.content['application/json'];
      expect(body?.schema.additionalProperties, `${method} ${path}`).toBe(false);
    }
  });

  it('never documents a secret outside creation and rotation', () => {
    const mentionsSecret = (method: string, path: string) =>
      JSON.stringify(document.paths[path]?.[method]?.responses['200'] ?? {}).includes('"secret"');
    expect(mentionsSecret('get', '/api/webhooks')).toBe(false);
    expect(mentionsSecret('get', '/api/webhooks/{id}')).toBe(false);
    expect(mentionsSecret('put', '/api/webhooks/{id}')).toBe(false);
    expect(mentionsSecret('post', '/api/webhooks/{id}/rotate-secret')).toBe(true);
  });
});
