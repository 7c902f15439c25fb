import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { Client, type Message } from '@conveyor/realtime/testing';
import { bearer, testToken } from '@conveyor/service-kit/testing';
import { freePort, waitUntil } from '@conveyor/test-harness/ports';
import { startEntryPoint, type RunningProcess } from '@conveyor/test-harness/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './helpers/fixtures.js';
import { createAsset, startTestWorker, type TestWorker } from './helpers/preview-worker.js';

// The user's path of issue 8 through real processes, as a browser meets it: the gateway and
// webhooks-svc (apps never import each other) in front of this worker, on one database, one
// Redis prefix and one media root.
const appDir = (name: string) => fileURLToPath(new URL(`../../${name}/`, import.meta.url));

let database: TestDatabase;
let worker: TestWorker;
let video: string;
const processes: RunningProcess[] = [];
let gateway: string;

async function start(name: string, port: number, env: Record<string, string>): Promise<string> {
  const dir = appDir(name);
  const child = startEntryPoint(
    `${dir}src/main.ts`,
    { NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: String(port), ...env },
    { cwd: dir },
  );
  processes.push(child);
  const origin = `http://127.0.0.1:${port}`;
  await waitUntil(
    async () => (await fetch(`${origin}/readyz`).catch(() => undefined))?.ok === true,
    {
      timeoutMs: 30_000,
      what: name,
    },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; it printed:\n${child.output()}`);
  });
  return origin;
}

beforeAll(async () => {
  database = await createTestDatabase();
  video = await fixture('video-60s-1080p.mp4');
  const [gatewayPort, webhooksPort] = [await freePort(), await freePort()];
  worker = await startTestWorker({
    databaseUrl: database.url,
    env: { MEDIA_PUBLIC_BASE_URL: `http://127.0.0.1:${gatewayPort}/media` },
  });
  const shared = { REDIS_URL: worker.config.REDIS_URL, BULL_PREFIX: worker.prefix };
  const webhooks = await start('webhooks-svc', webhooksPort, {
    ...shared,
    DATABASE_URL: database.url,
  });
  gateway = await start('api-gateway', gatewayPort, {
    REDIS_URL: worker.config.REDIS_URL,
    WEBHOOKS_URL: webhooks,
    MEDIA_SERVE_ROOT: worker.mediaRoot,
  });
}, 240_000);

afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop()));
  await worker?.cleanup();
  await database?.drop();
});

const submit = (token: string, assetId: string) =>
  fetch(`${gateway}/api/jobs`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'asset.preview', data: { assetId } }),
  });

describe('asset.preview through the gateway', () => {
  it('is submitted for an own asset, followed on the socket to completion, and its previewUrl serves the file', async () => {
    const asset = await createAsset(worker, { type: 'VIDEO', mimeType: 'video/mp4' }, video);
    const token = testToken(asset.ownerId, 'CREATOR');
    const socket = await Client.open(`${gateway.replace(/^http/, 'ws')}/api/realtime`, {
      headers: bearer(token),
    });
    try {
      const submitted = await submit(token, asset.id);
      expect(submitted.status).toBe(201);
      const { jobId } = ((await submitted.json()) as { data: { jobId: string } }).data;

      const ofJob = (type: string) => (message: Message) =>
        message.type === type && message.jobId === jobId;
      const completed = await socket.waitFor(ofJob('job:completed'), 60_000);
      const progress = socket.ofType('job:progress').filter((message) => message.jobId === jobId);
      const percents = progress.map((message) => message.progress as number);
      expect(percents.length).toBeGreaterThan(0);
      expect(percents).toStrictEqual([...percents].sort((a, b) => a - b));
      expect(percents.at(-1)).toBe(100);

      const { previewUrl } = completed.result as { previewUrl: string };
      expect(previewUrl).toBe(`${gateway}/media/previews/${asset.id}/v1.mp4`);
      // Polling says the same once the registry has caught up with the job's end.
      const poll = async () =>
        (await (
          await fetch(`${gateway}/api/jobs/${jobId}`, { headers: bearer(token) })
        ).json()) as {
          data: { state: string; result: unknown };
        };
      await waitUntil(async () => (await poll()).data.state === 'completed', {
        what: 'GET /api/jobs/:jobId to say completed',
      });
      expect((await poll()).data.result).toMatchObject({ previewUrl });

      const served = await fetch(previewUrl);
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toBe('video/mp4');
      const onDisk = await readFile(join(worker.mediaRoot, 'previews', asset.id, 'v1.mp4'));
      expect(Buffer.from(await served.arrayBuffer()).equals(onDisk)).toBe(true);
    } finally {
      socket.close();
    }
  }, 120_000);

  it("answers 404 for another user's asset and queues nothing", async () => {
    const asset = await createAsset(worker, { type: 'AUDIO', mimeType: 'audio/wav' });
    const response = await submit(testToken('someone-else', 'CREATOR'), asset.id);
    expect(response.status).toBe(404);
    expect(await response.json()).toStrictEqual({ success: false, error: 'Asset not found' });
    const queued = await worker.queue.getJobs(['waiting', 'active', 'delayed', 'completed']);
    const forAsset = queued.filter(
      (job) => (job.data as { assetId?: string }).assetId === asset.id,
    );
    expect(forAsset).toStrictEqual([]);
  });
});
