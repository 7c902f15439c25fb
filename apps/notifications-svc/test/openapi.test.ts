import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './helpers/app.js';

let t: TestApp;
let document: {
  paths: Record<string, Record<string, Operation>>;
};

interface Operation {
  tags?: string[];
  summary?: string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

beforeAll(async () => {
  t = await startApp();
  document = (await t.app.inject({ url: '/openapi.json' })).json();
});
afterAll(async () => {
  await t.close();
});

const routes: [method: string, path: string, success: string, errors: string[]][] = [
  ['get', '/api/notifications', '200', ['400', '401', '500', '503']],
  ['post', '/api/notifications', '201', ['400', '401', '403', '404', '500', '503']],
  ['get', '/api/notifications/unread-count', '200', ['401', '500', '503']],
  ['post', '/api/notifications/read-all', '200', ['401', '500', '503']],
  ['post', '/api/notifications/{id}/read', '200', ['401', '404', '500', '503']],
  ['post', '/api/notifications/{id}/unread', '200', ['401', '404', '500', '503']],
  ['delete', '/api/notifications/{id}', '200', ['401', '404', '500', '503']],
  ['get', '/api/notifications/preferences', '200', ['401', '500', '503']],
  ['patch', '/api/notifications/preferences', '200', ['400', '401', '500', '503']],
];

describe('the OpenAPI document', () => {
  it.each(routes)(
    'describes %s %s with a tag, a summary and its responses',
    (method, path, success, errors) => {
      const operation = document.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation!.tags).toHaveLength(1);
      expect(operation!.summary).toEqual(expect.any(String));
      expect(Object.keys(operation!.responses).sort()).toEqual([success, ...errors].sort());
      for (const response of Object.values(operation!.responses)) {
        expect(response.content?.['application/json']?.schema).toBeDefined();
      }
    },
  );

  it('lists exactly the routes of the service under /api', () => {
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map(([method, path]) => `${method} ${path}`).sort());
  });

  it('documents the list’s query parameters and the spec 001 Notification fields', () => {
    const list = document.paths['/api/notifications']!.get!;
    expect(list.parameters!.map((parameter) => parameter.name).sort()).toEqual([
      'page',
      'pageSize',
      'priority',
      'read',
      'type',
    ]);
    const schema = list.responses['200']!.content!['application/json']!.schema as {
      properties: { data: { items: { properties: Record<string, unknown>; required: string[] } } };
    };
    const notification = schema.properties.data.items;
    expect(Object.keys(notification.properties).sort()).toEqual(
      [
        'actionUrl',
        'createdAt',
        'id',
        'message',
        'metadata',
        'priority',
        'read',
        'readAt',
        'title',
        'type',
      ].sort(),
    );
    expect(notification.properties.createdAt).toMatchObject({ format: 'date-time' });
  });

  it('documents the preferences body without inAppEnabled false', () => {
    const patch = document.paths['/api/notifications/preferences']!.patch!;
    const body = patch.requestBody!.content['application/json']!.schema;
    expect(Object.keys(body.properties).sort()).toEqual([
      'digestFrequency',
      'emailEnabled',
      'enabledTypes',
      'inAppEnabled',
      'timezone',
    ]);
  });

  it('documents timezone in the answer and the body as beyond spec 001, with the digest hour', () => {
    const operations = document.paths['/api/notifications/preferences']!;
    const answer = operations.get!.responses['200']!.content!['application/json']!.schema as {
      properties: { data: { properties: Record<string, unknown>; required: string[] } };
    };
    const body = operations.patch!.requestBody!.content['application/json']!.schema as {
      properties: Record<string, unknown>;
      required?: string[];
    };
    const timezone = {
      type: 'string',
      description: expect.stringMatching(/beyond spec 001.*09:00.*Monday/s),
    };
    expect(answer.properties.data.properties.timezone).toMatchObject(timezone);
    expect(answer.properties.data.required).toContain('timezone');
    expect(body.properties.timezone).toMatchObject(timezone);
    expect(body.required ?? []).not.toContain('timezone');
  });
});
