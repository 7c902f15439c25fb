import { randomUUID } from 'node:crypto';
import type { Database } from '@conveyor/db/client';
import type { AdminBatchAction } from '@conveyor/db/schema';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { audited } from '../../audit/audit-log.js';
import { bulkBatchView } from '../../batches/batch-view.js';
import type { BulkFilter, BulkParameters } from '../../bulk/bulk-filter.js';
import { startBatch } from '../../bulk/start-batch.js';
import type { Config } from '../../config.js';
import {
  BatchResponseSchema,
  BulkCancelBodySchema,
  BulkRetryBodySchema,
  bulkTags,
  errorResponses,
} from './schemas.js';

export interface BulkRoutesOptions {
  db: Database;
  queues: Producer;
  /** `ADMIN_BULK_MAX_JOBS`: the most jobs one bulk action may match. */
  config: Pick<Config, 'ADMIN_BULK_MAX_JOBS'>;
}

const described = {
  retry:
    'Retries every failed job the filter matches (the job search’s filter, at least one field), ' +
    'as a tracked batch on the `admin-bulk` queue: answers 202 at once with the batch, whose ' +
    'progress `GET /batches/:batchId` and the live `batch` room report. A job no longer failed ' +
    'when its turn comes counts as skipped. Audited as `bulk-retry` (outcome `started`).',
  cancel:
    'Cancels every waiting or delayed job the filter matches (and, with `terminate`, aborts ' +
    'the running ones through their worker), as a tracked batch on the `admin-bulk` queue: ' +
    'answers 202 at once with the batch. A job already finished when its turn comes counts as ' +
    'skipped. Audited as `bulk-cancel` (outcome `started`).',
};

/** Bulk retry and bulk cancel by filter (issue 7), each run as a tracked batch job. */
const bulkRoutes: FastifyPluginAsyncZod<BulkRoutesOptions> = async (app, options) => {
  const start = async (
    adminId: string,
    action: AdminBatchAction,
    filter: BulkFilter,
    parameters: BulkParameters,
  ) => {
    const batchId = randomUUID();
    // Refusals (an unknown queue, too many jobs) are recorded too, under the id the batch would
    // have had; a started batch is recorded as `started`, its counts live in its row.
    const row = await audited(
      options.db,
      {
        adminId,
        action: action === 'retry' ? 'bulk-retry' : 'bulk-cancel',
        target: { batchId },
        parameters: { ...filter, ...parameters },
      },
      () =>
        startBatch(
          { db: options.db, producer: options.queues, maxJobs: options.config.ADMIN_BULK_MAX_JOBS },
          { batchId, adminId, action, filter, parameters },
        ),
      { outcome: 'started' },
    );
    return { success: true as const, data: bulkBatchView(row) };
  };

  app.post(
    '/bulk/retry',
    {
      schema: {
        tags: bulkTags,
        summary: 'Retry failed jobs by filter',
        description: described.retry,
        body: BulkRetryBodySchema,
        response: {
          202: BatchResponseSchema.describe('The batch, queued'),
          ...errorResponses(400, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const body = await start(request.user.sub, 'retry', request.body, {});
      return reply.code(202).send(body);
    },
  );

  app.post(
    '/bulk/cancel',
    {
      schema: {
        tags: bulkTags,
        summary: 'Cancel jobs by filter',
        description: described.cancel,
        body: BulkCancelBodySchema,
        response: {
          202: BatchResponseSchema.describe('The batch, queued'),
          ...errorResponses(400, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { terminate, ...filter } = request.body;
      const body = await start(request.user.sub, 'cancel', filter, { terminate });
      return reply.code(202).send(body);
    },
  );
};

export default bulkRoutes;
