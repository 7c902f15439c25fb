import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { previewJobId, schedules, sweepAssetPreviews } from '@conveyor/queue-contracts';
import { createLogger } from '@conveyor/runtime/logger';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sweepAssetPreviews as sweepProcessor } from '../../src/processors/sweep.js';
import {
  assetOf,
  createAsset,
  startTestWorker,
  type TestWorker,
} from '../helpers/preview-worker.js';

const silent = createLogger({ app: 'test', level: 'silent', pretty: false });

let database: TestDatabase;
let tw: TestWorker;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());
beforeEach(async () => {
  tw = await startTestWorker({ databaseUrl: database.url });
});
afterEach(() => tw.cleanup());

describe('asset.preview-sweep', () => {
  it('is scheduled every 5 minutes once the worker starts', async () => {
    const schedulers = await tw.queue.getJobSchedulers();
    expect(schedulers).toMatchObject([
      {
        key: schedules.assetPreviewSweep.id,
        name: sweepAssetPreviews.name,
        pattern: schedules.assetPreviewSweep.pattern,
      },
    ]);
  });

  it('enqueues the preview of an eligible asset left without a job, and only that one', async () => {
    const orphan = await createAsset(tw, { type: 'VIDEO' });
    // Not eligible: an image, a scan still pending, a preview that failed for good.
    await createAsset(tw, { type: 'IMAGE' });
    await createAsset(tw, { type: 'AUDIO', scanStatus: 'PENDING' });
    await createAsset(tw, { type: 'AUDIO', metadata: { previewError: 'corrupt' } });
    // The processor called directly, with the worker stopped, so the job it enqueues stays.
    await tw.stopWorker();
    const result = await sweepProcessor(
      { db: tw.db, producer: tw.producer, config: tw.config, logger: silent },
      {},
    );
    expect(result).toEqual({ enqueued: 1 });

    const jobs = await tw.queue.getJobs(['waiting']);
    expect(jobs.map((job): unknown[] => [job.id, job.name, job.data as unknown])).toEqual([
      [
        previewJobId(orphan.id, orphan.sourceVersion),
        'asset.preview',
        { assetId: orphan.id, ownerId: orphan.ownerId },
      ],
    ]);
    expect((await assetOf(tw.db, orphan.id)).previewRequestedVersion).toBe(orphan.sourceVersion);
  });

  it('runs as a job of the worker and reports how many it enqueued', async () => {
    await createAsset(tw, { type: 'AUDIO' });
    await createAsset(tw, { type: 'VIDEO' });
    const sweep = await tw.queue.add(sweepAssetPreviews.name, {}, sweepAssetPreviews.options);
    expect(await tw.finished(sweep)).toEqual({ enqueued: 2 });
    // A second sweep finds their claims fresh: nothing twice.
    const again = await tw.queue.add(sweepAssetPreviews.name, {}, sweepAssetPreviews.options);
    expect(await tw.finished(again)).toEqual({ enqueued: 0 });
  });
});
