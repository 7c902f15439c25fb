import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDb } from '@conveyor/db/client';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { generateAssetPreview, previewJobId, QueueName } from '@conveyor/queue-contracts';
import { freePort, waitUntil } from '@conveyor/test-harness/ports';
import { startEntryPoint } from '@conveyor/test-harness/processes';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './helpers/fixtures.js';
import { createAsset, plainConnection } from './helpers/preview-worker.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let database: TestDatabase;
let base: string;
let video: string;

beforeAll(async () => {
  database = await createTestDatabase();
  base = await mkdtemp(join(tmpdir(), 'preview-worker-main-'));
  video = await fixture('video-60s-1080p.mp4');
}, 180_000);
afterAll(async () => {
  await database.drop();
  await rm(base, { recursive: true, force: true });
});

describe('main', () => {
  it('exits with the name of each bad variable when the config is invalid', async () => {
    const worker = startEntryPoint(
      entry,
      { PREVIEW_CONCURRENCY: '0', MEDIA_PUBLIC_BASE_URL: 'not a url' },
      { cwd: appDir },
    );
    const code = await new Promise<number | null>((resolve) => worker.child.once('exit', resolve));
    expect(code).toBe(1);
    expect(worker.output()).toContain('PREVIEW_CONCURRENCY:');
    expect(worker.output()).toContain('MEDIA_PUBLIC_BASE_URL:');
  });

  it('starts, is ready on PORT, and on SIGTERM kills the render in hand and exits cleanly', async () => {
    const port = await freePort();
    const prefix = testPrefix();
    const mediaRoot = join(base, 'media');
    const tmpDir = join(base, 'tmp');
    await mkdir(tmpDir);
    const worker = startEntryPoint(
      entry,
      {
        REDIS_URL: defaultTestRedisUrl,
        DATABASE_URL: database.url,
        BULL_PREFIX: prefix,
        PORT: String(port),
        MEDIA_ROOT: mediaRoot,
        PREVIEW_TMP_DIR: tmpDir,
        LOG_LEVEL: 'info',
        NODE_ENV: 'test',
      },
      { cwd: appDir },
    );
    const db = createDb(database.url, { max: 1 });
    const queue = new Queue(QueueName.mediaPreview, { connection: plainConnection(), prefix });
    const events = new QueueEvents(QueueName.mediaPreview, {
      connection: plainConnection(),
      prefix,
    });
    try {
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
        timeoutMs: 20_000,
        what: `the worker to be ready on ${port}`,
      }).catch((error: Error) => {
        throw new Error(`${error.message}; it printed:\n${worker.output()}`);
      });
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(await ready.json()).toEqual({
        status: 'ready',
        checks: { postgres: 'up', redis: 'up' },
      });

      const asset = await createAsset({ db: db.db, mediaRoot }, { type: 'VIDEO' }, video);
      await events.waitUntilReady();
      let progressed = false;
      events.on('progress', () => (progressed = true));
      await queue.add(
        generateAssetPreview.name,
        { assetId: asset.id },
        { ...generateAssetPreview.options, jobId: previewJobId(asset.id, 1) },
      );
      await waitUntil(() => progressed, { timeoutMs: 20_000, what: 'the render to start' });
    } finally {
      expect(await worker.stop()).toBe(0);
      await Promise.allSettled([queue.close(), events.close(), db.close()]);
      await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
    }
    const { stdout } = await promisify(execFile)('ps', ['-eo', 'pid,args']);
    expect(stdout.split('\n').filter((line) => line.includes(tmpDir))).toEqual([]);
    expect(await readdir(tmpDir)).toEqual([]);
    expect(worker.output()).toContain('preview worker started');
    expect(worker.output()).toContain('"signal":"SIGTERM"');
  });
});
