import { CloseCode } from '@conveyor/realtime/close-codes';
import { Client, refusal } from '@conveyor/realtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedOrigin, asRole, startStreamService, type StreamService } from './helpers.js';

let service: StreamService;

beforeAll(async () => {
  service = await startStreamService();
});
afterAll(async () => {
  await service.close();
});

const unauthorized = { success: false, error: 'Unauthorized' };
const forbiddenAdmin = { success: false, error: 'Forbidden: Admin access required' };

describe('GET /api/admin/jobs/stream handshake', () => {
  it('refuses a caller without a token with 401 before any socket opens', async () => {
    expect(await refusal(service.streamUrl)).toEqual({ status: 401, body: unauthorized });
  });

  it.each(['VIEWER', 'CREATOR', 'BRAND'] as const)(
    'refuses a %s token with 403, by header or by ticket',
    async (role) => {
      expect(await refusal(service.streamUrl, asRole('someone', role))).toEqual({
        status: 403,
        body: forbiddenAdmin,
      });
      const ticket = await service.ticket('someone', role);
      expect(await refusal(`${service.streamUrl}?ticket=${ticket}`)).toEqual({
        status: 403,
        body: forbiddenAdmin,
      });
    },
  );

  it('opens for an ADMIN bearer and answers ready with the token expiry', async () => {
    const client = await Client.open(service.streamUrl, asRole('root', 'ADMIN'));
    const [ready] = client.ofType('ready');
    expect(Date.parse(String(ready?.expiresAt))).toBeGreaterThan(Date.now());
    client.close();
  });

  it('opens for an ADMIN ticket once; the used ticket is refused', async () => {
    const ticket = await service.ticket('root', 'ADMIN');
    const client = await Client.open(`${service.streamUrl}?ticket=${ticket}`, {
      headers: { origin: allowedOrigin },
    });
    client.close();
    expect(await refusal(`${service.streamUrl}?ticket=${ticket}`)).toEqual({
      status: 401,
      body: unauthorized,
    });
  });

  it('refuses a page of another site even with an ADMIN token', async () => {
    const { headers } = asRole('root', 'ADMIN');
    expect(
      await refusal(service.streamUrl, { headers: { ...headers, origin: 'https://evil.test' } }),
    ).toEqual({
      status: 403,
      body: { success: false, error: 'Forbidden: cross-site request refused' },
    });
  });

  it('answers bad frames, unknown rooms and pings without closing', async () => {
    const client = await Client.open(service.streamUrl, asRole('root', 'ADMIN'));
    client.send('{nope');
    client.send({ type: 'join', room: 'queues' });
    client.send({ type: 'subscribe', room: 'tasks:no-such-queue' });
    client.send({ type: 'ping' });
    await client.waitFor((message) => message.type === 'pong');
    expect(client.ofType('error')).toEqual([
      { type: 'error', message: 'Invalid JSON' },
      { type: 'error', message: 'Unknown message type' },
      { type: 'error', message: 'Unknown room', room: 'tasks:no-such-queue' },
    ]);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    client.close();
  });
});

describe('the OpenAPI document of the stream', () => {
  it('describes the upgrade, the rooms, their events and every close code', async () => {
    const response = await fetch(
      service.streamUrl.replace(/^ws/, 'http').replace(/\/api\/.*$/, '/openapi.json'),
    );
    const document = (await response.json()) as {
      paths: Record<string, Record<string, { description?: string }>>;
    };
    const operation = document.paths['/api/admin/jobs/stream']?.get;
    for (const text of [
      'queue_stats',
      'task_update',
      'batch_progress',
      'tasks:<queue>',
      '?ticket=',
    ]) {
      expect(operation?.description).toContain(text);
    }
    for (const code of Object.values(CloseCode)) {
      expect(operation?.description).toContain(`\`${code}\``);
    }
  });
});
