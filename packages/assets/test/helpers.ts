import { createDb, type DbHandle } from '@conveyor/db/client';
import { assets, users, type NewAsset } from '@conveyor/db/schema';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { QueueName } from '@conveyor/queue-contracts';
import { createProducer, type Producer } from '@conveyor/queue-contracts/producer';
import { redisOptions } from '@conveyor/runtime/redis';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import type { Queue } from 'bullmq';

/** A migrated database and a BullMQ prefix of the test file's own. */
export interface TestContext {
  handle: DbHandle;
  producer: Producer;
  /** The media-preview queue under the test's prefix. */
  queue: Queue;
  prefix: string;
  close: () => Promise<void>;
}

export async function startContext(): Promise<TestContext> {
  const database: TestDatabase = await createTestDatabase();
  const handle = createDb(database.url, { max: 20 });
  const prefix = testPrefix();
  const { hostname, port } = new URL(defaultTestRedisUrl);
  const producer = createProducer({
    connection: { host: hostname, port: Number(port), ...redisOptions('request') },
    prefix,
    open: [QueueName.mediaPreview],
  });
  await handle.db.insert(users).values([
    { id: 'alice', role: 'CREATOR' },
    { id: 'bob', role: 'CREATOR' },
  ]);
  return {
    handle,
    producer,
    queue: producer.queue(QueueName.mediaPreview),
    prefix,
    close: async () => {
      await producer.close();
      await deleteKeysWithPrefix(defaultTestRedisUrl, prefix);
      await handle.close();
      await database.drop();
    },
  };
}

/** An uploaded asset: a VIDEO of alice's, scan and thumbnail pending, unless `values` says. */
export async function insertAsset(t: TestContext, values: Partial<NewAsset> = {}) {
  const [row] = await t.handle.db
    .insert(assets)
    .values({
      ownerId: 'alice',
      type: 'VIDEO',
      title: 'Clip',
      storageKey: 'originals/clip.mp4',
      mimeType: 'video/mp4',
      sizeBytes: 1_234_567,
      ...values,
    })
    .returning();
  if (!row) throw new Error('no asset inserted');
  return row;
}

/** Every job in the preview queue, whatever its state. */
export const previewJobs = async (t: TestContext) =>
  (await t.queue.getJobs()).filter((job) => job.name === 'asset.preview');

/** Empties the preview queue between tests. */
export const emptyQueue = async (t: TestContext) => {
  await t.queue.obliterate({ force: true });
};
