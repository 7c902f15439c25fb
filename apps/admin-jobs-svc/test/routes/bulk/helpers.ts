import { waitUntil } from '@conveyor/test-harness/ports';
import { expect } from 'vitest';
import type { BatchView } from '../../../src/batches/batch-view.js';
import { as, type App } from '../../helpers/admin-app.js';

/** The batch as GET /api/admin/jobs/batches/:batchId answers it. */
export async function readBatch(app: App, batchId: string): Promise<BatchView> {
  const response = await as(app, 'root').get(`/api/admin/jobs/batches/${batchId}`);
  expect(response.statusCode).toBe(200);
  return response.json<{ data: BatchView }>().data;
}

/**
 * Polls the batch until it has ended, calling `onRead` with every view read on the way.
 */
export async function batchEnd(
  app: App,
  batchId: string,
  onRead: (view: BatchView) => void = () => undefined,
): Promise<BatchView> {
  let view: BatchView | undefined;
  await waitUntil(
    async () => {
      view = await readBatch(app, batchId);
      onRead(view);
      return view.state === 'completed' || view.state === 'failed';
    },
    { what: `batch ${batchId} to end`, timeoutMs: 30_000, intervalMs: 5 },
  );
  return view!;
}
