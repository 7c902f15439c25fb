import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '@conveyor/realtime/close-codes';
import { startApp, type TestApp } from '../helpers/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t.close();
});

describe('the OpenAPI document of /api/realtime', () => {
  it('describes the upgrade, both directions of the protocol and every close code', async () => {
    const document = (await t.app.inject({ url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { tags?: string[]; description?: string }>>;
    }>();
    const operation = document.paths['/api/realtime']?.get;
    expect(operation?.tags).toEqual(['Real time']);
    for (const text of ['job:progress', 'notification:new', 'subscribe:job', '?ticket=']) {
      expect(operation?.description).toContain(text);
    }
    for (const code of Object.values(CloseCode)) {
      expect(operation?.description).toContain(`\`${code}\``);
    }
    expect(document.paths['/api/realtime/ticket']?.post).toBeDefined();
  });
});
