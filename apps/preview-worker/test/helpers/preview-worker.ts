import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Database } from '@conveyor/db/client';
import { assets, users, type Asset, type NewAsset } from '@conveyor/db/schema';
import { createLocalDiskStorage, type MediaStorage } from '@conveyor/media/storage';
import { generateAssetPreview, previewJobId, QueueName } from '@conveyor/queue-contracts';
import { createProducer, type Producer } from '@conveyor/queue-contracts/producer';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { createTestWorkerDeps } from '@conveyor/worker-kit/testing';
import { Queue, QueueEvents, type Job, type JobsOptions } from 'bullmq';
import { eq } from 'drizzle-orm';
import { loadConfig, type Config } from '../../src/config.js';
import { createPreviewWorker, type PreviewWorkerDeps } from '../../src/worker.js';

export interface TestWorkerOptions {
  databaseUrl: string;
  /** Environment on top of the test defaults, parsed by the app's own `loadConfig`. */
  env?: Record<string, string>;
  /** Wraps the worker's local-disk storage, to make it fail on purpose. */
  storage?: (storage: MediaStorage) => MediaStorage;
}

export interface TestWorker {
  config: Config;
  deps: PreviewWorkerDeps;
  prefix: string;
  /** MEDIA_ROOT, a fresh directory of the test's own. */
  mediaRoot: string;
  /** PREVIEW_TMP_DIR, a fresh directory of the test's own. */
  tmpDir: string;
  queue: Queue;
  events: QueueEvents;
  producer: Producer;
  db: Database;
  /** Adds the preview job of an asset under its deterministic id. */
  addPreview: (asset: Pick<Asset, 'id' | 'sourceVersion'>, options?: JobsOptions) => Promise<Job>;
  /** The job's result, or its error, within `timeoutMs`. */
  finished: (job: Job, timeoutMs?: number) => Promise<unknown>;
  /** The worker's own `close`, once. */
  stopWorker: () => Promise<void>;
  cleanup: () => Promise<void>;
}

const redisUrl = process.env.REDIS_URL ?? defaultTestRedisUrl;
export const plainConnection = () => {
  const url = new URL(redisUrl);
  return { host: url.hostname, port: Number(url.port || 6379) };
};

/**
 * Starts the preview worker in-process with `createPreviewWorker(deps)`, against the real Redis
 * and the given database, with MEDIA_ROOT and PREVIEW_TMP_DIR in fresh temp directories.
 */
export async function startTestWorker(options: TestWorkerOptions): Promise<TestWorker> {
  const prefix = testPrefix();
  const base = await mkdtemp(join(tmpdir(), 'preview-worker-test-'));
  const mediaRoot = join(base, 'media');
  const tmpDir = join(base, 'tmp');
  await mkdir(mediaRoot);
  await mkdir(tmpDir);
  const { deps, close } = await createTestWorkerDeps({
    name: 'preview-worker',
    loadConfig,
    env: {
      REDIS_URL: redisUrl,
      DATABASE_URL: options.databaseUrl,
      BULL_PREFIX: prefix,
      MEDIA_ROOT: mediaRoot,
      MEDIA_PUBLIC_BASE_URL: 'http://media.test/media',
      PREVIEW_TMP_DIR: tmpDir,
      PREVIEW_CONCURRENCY: '2',
      ...options.env,
    },
    ...(process.env.TEST_LOG_LEVEL ? { logLevel: process.env.TEST_LOG_LEVEL } : {}),
  });
  const local = createLocalDiskStorage({
    root: mediaRoot,
    publicBaseUrl: deps.config.MEDIA_PUBLIC_BASE_URL,
  });
  const workerDeps: PreviewWorkerDeps = {
    ...deps,
    ...(options.storage ? { storage: options.storage(local) } : {}),
  };
  const worker = await createPreviewWorker(workerDeps);

  const queue = new Queue(QueueName.mediaPreview, { connection: plainConnection(), prefix });
  const events = new QueueEvents(QueueName.mediaPreview, { connection: plainConnection(), prefix });
  queue.on('error', () => undefined);
  events.on('error', () => undefined);
  await events.waitUntilReady();
  const producer = createProducer({ connection: plainConnection(), prefix });

  let stopping: Promise<void> | undefined;
  const stopWorker = () => (stopping ??= worker.close());
  return {
    config: deps.config,
    deps: workerDeps,
    prefix,
    mediaRoot,
    tmpDir,
    queue,
    events,
    producer,
    db: deps.db.db,
    addPreview: (asset, jobOptions = {}) =>
      queue.add(
        generateAssetPreview.name,
        { assetId: asset.id, requestId: `req-${asset.id.slice(0, 8)}` },
        {
          ...generateAssetPreview.options,
          jobId: previewJobId(asset.id, asset.sourceVersion),
          ...jobOptions,
        },
      ),
    finished: (job, timeoutMs = 30_000) => job.waitUntilFinished(events, timeoutMs),
    stopWorker,
    cleanup: async () => {
      await stopWorker();
      await Promise.allSettled([queue.close(), events.close(), producer.close()]);
      await close();
      await deleteKeysWithPrefix(redisUrl, prefix);
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** A user and an asset of theirs, its original copied from `source` into MEDIA_ROOT. */
export async function createAsset(
  tw: Pick<TestWorker, 'db' | 'mediaRoot'>,
  fields: Partial<NewAsset> & Pick<NewAsset, 'type'>,
  source?: string,
): Promise<Asset> {
  const ownerId = `user-${randomUUID().slice(0, 8)}`;
  await tw.db.insert(users).values({ id: ownerId, role: 'CREATOR' });
  const id = randomUUID();
  const storageKey = fields.storageKey ?? `originals/${id}/source`;
  if (source) {
    const path = join(tw.mediaRoot, ...storageKey.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await copyFile(source, path);
  }
  const [row] = await tw.db
    .insert(assets)
    .values({
      id,
      ownerId,
      title: `asset ${id.slice(0, 8)}`,
      storageKey,
      mimeType: 'application/octet-stream',
      sizeBytes: 1,
      scanStatus: 'CLEAN',
      thumbnailStatus: 'DONE',
      ...fields,
    })
    .returning();
  return row!;
}

export async function assetOf(db: Database, id: string): Promise<Asset> {
  const [row] = await db.select().from(assets).where(eq(assets.id, id));
  return row!;
}
