import { sweepPreviews } from '@conveyor/assets/preview-trigger';
import type { Database } from '@conveyor/db/client';
import type { ParsedPayloadOf, ResultOf } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { Logger } from '@conveyor/runtime/logger';
import type { Config } from '../config.js';

export interface SweepDeps {
  db: Database;
  producer: Producer;
  config: Pick<Config, 'PREVIEW_SWEEP_STALE_SECONDS' | 'PREVIEW_SWEEP_LIMIT'>;
  logger: Logger;
}

export type SweepPayload = ParsedPayloadOf<'asset.preview-sweep'>;
export type SweepResult = ResultOf<'asset.preview-sweep'>;

/**
 * `asset.preview-sweep`, every 5 minutes (queue-contracts' `schedules.assetPreviewSweep`): the
 * trigger's backstop. Eligible assets without a preview, a `previewError` or a job BullMQ still
 * holds get their job again, under its deterministic id (`@conveyor/assets`), so a sweep that
 * runs twice or beside the trigger enqueues nothing twice.
 */
export async function sweepAssetPreviews(
  deps: SweepDeps,
  payload: SweepPayload,
): Promise<SweepResult> {
  const enqueued = await sweepPreviews(
    { db: deps.db, producer: deps.producer },
    {
      staleAfterSeconds: deps.config.PREVIEW_SWEEP_STALE_SECONDS,
      limit: deps.config.PREVIEW_SWEEP_LIMIT,
    },
  );
  const log = deps.logger.child({ job: 'asset.preview-sweep', requestId: payload.requestId });
  if (enqueued > 0) log.info({ enqueued }, 'preview sweep enqueued previews');
  else log.debug('preview sweep found nothing due');
  return { enqueued };
}
