import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { defaultJobOptions } from './options.js';
import { QueueName } from './queues.js';

/**
 * Fields every payload may carry. `ownerId` names the user a job runs for (system jobs have
 * none): the registry, the WebSocket rooms and the webhooks route events by it. Payloads carry
 * ids, never secrets. New fields stay optional so jobs queued before a deploy still parse.
 */
export const JobMetaSchema = z.object({
  ownerId: z.string().min(1).optional(),
  requestId: z.string().max(128).optional(),
});

export interface JobDefinition<
  Queue extends QueueName = QueueName,
  Name extends string = string,
  Payload extends z.ZodType = z.ZodType,
  Result extends z.ZodType = z.ZodType,
> {
  queue: Queue;
  name: Name;
  payload: Payload;
  result: Result;
  options: JobsOptions;
  /** Whether users may submit it themselves through `POST /api/jobs`. @defaultValue false */
  userSubmittable: boolean;
}

function defineJob<
  Queue extends QueueName,
  Name extends string,
  Payload extends z.ZodType,
  Result extends z.ZodType,
>(
  definition: Omit<JobDefinition<Queue, Name, Payload, Result>, 'options' | 'userSubmittable'> & {
    options?: JobsOptions;
    userSubmittable?: boolean;
  },
): JobDefinition<Queue, Name, Payload, Result> {
  return {
    ...definition,
    options: { ...defaultJobOptions, ...definition.options },
    userSubmittable: definition.userSubmittable ?? false,
  };
}

/** Delivers one notification by email, if the recipient's preferences allow (spec 001). */
export const deliverNotification = defineJob({
  queue: QueueName.notificationDelivery,
  name: 'notification.deliver',
  payload: JobMetaSchema.extend({ notificationId: z.uuid() }),
  result: z.object({
    outcome: z.enum(['sent', 'skipped', 'already-sent']),
    reason: z.string().optional(),
  }),
});

/**
 * The outbox sweep: enqueues delivery for notifications still `pending` after a grace period,
 * which covers a process that died between its commit and its enqueue. A system job, run by a
 * job scheduler so that one sweep runs at a time across every worker instance.
 */
export const sweepNotificationOutbox = defineJob({
  queue: QueueName.notificationDelivery,
  name: 'notification.sweep',
  payload: JobMetaSchema.extend({}),
  result: z.object({ enqueued: z.number().int().min(0) }),
  options: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
});

/**
 * The digest's hourly tick: plans every hour since the last planned one (catching up hours
 * missed while no worker ran), fans each DAILY and WEEKLY run out into chunk jobs, and hands
 * unfinished chunks back to the queue. Run by a job scheduler, so one tick per hour runs
 * across every instance.
 */
export const tickDigests = defineJob({
  queue: QueueName.notificationDigest,
  name: 'digest.tick',
  payload: JobMetaSchema.extend({}),
  result: z.object({
    hoursPlanned: z.number().int().min(0),
    runsPlanned: z.number().int().min(0),
    chunksEnqueued: z.number().int().min(0),
  }),
  options: { attempts: 3, removeOnComplete: { count: 200 }, removeOnFail: { count: 200 } },
});

/** Sends the digests of one chunk of a run (`digest_deliveries` rows of that run and chunk). */
export const sendDigestChunk = defineJob({
  queue: QueueName.notificationDigest,
  name: 'digest.chunk',
  payload: JobMetaSchema.extend({ runId: z.uuid(), chunk: z.number().int().min(0) }),
  result: z.object({
    sent: z.number().int().min(0),
    skipped: z.number().int().min(0),
    failed: z.number().int().min(0),
  }),
  // A relay outage is waited out: 5 s, 10 s … about 10 minutes in all; after that the digests
  // stay pending and the next hourly tick queues the chunk again.
  options: { attempts: 8, backoff: { type: 'exponential', delay: 5_000 } },
});

/**
 * Runs one admin bulk action (retry or cancel by filter) whose `admin_batches` row holds the
 * filter, the cursor and the counts; the job id is the batch id, so a repeated enqueue is a
 * no-op. A retry after a crash resumes from the row's cursor, repeating at most one page.
 */
export const runAdminBulk = defineJob({
  queue: QueueName.adminBulk,
  name: 'admin.bulk',
  payload: JobMetaSchema.extend({ batchId: z.uuid() }),
  result: z.object({
    processed: z.number().int().min(0),
    succeeded: z.number().int().min(0),
    skipped: z.number().int().min(0),
    failed: z.number().int().min(0),
  }),
  options: { attempts: 3, backoff: { type: 'exponential', delay: 2_000 } },
});

/**
 * Makes the preview clip of one VIDEO or AUDIO asset (spec 002: 10 s 1280x720 at 1000k, or a
 * 30 s 128k MP3) and records it on the asset. Enqueued by `@conveyor/assets` once the scan is
 * CLEAN and the thumbnail done, under `previewJobId`; users may submit it for an asset they own.
 */
export const generateAssetPreview = defineJob({
  queue: QueueName.mediaPreview,
  name: 'asset.preview',
  payload: JobMetaSchema.extend({ assetId: z.uuid() }),
  result: z.object({
    previewUrl: z.string(),
    previewSize: z.number().int().min(0),
    previewDuration: z.number().min(0),
  }),
  userSubmittable: true,
  // 10 s, 20 s, 40 s between attempts: storage or ffmpeg hiccups; a corrupt source fails at once.
  options: { attempts: 4, backoff: { type: 'exponential', delay: 10_000 } },
});

/**
 * The preview sweep: enqueues the preview of eligible assets whose job never reached Redis (a
 * process that died between its claim and its enqueue) or that Redis no longer holds. A system
 * job, run by a job scheduler so one sweep runs at a time across every worker instance.
 */
export const sweepAssetPreviews = defineJob({
  queue: QueueName.mediaPreview,
  name: 'asset.preview-sweep',
  payload: JobMetaSchema.extend({}),
  result: z.object({ enqueued: z.number().int().min(0) }),
  options: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
});

/**
 * The preview job id of one source version of an asset: one job per version, so a repeated
 * enqueue is a no-op while BullMQ holds the job. BullMQ refuses ids containing `:`.
 */
export const previewJobId = (assetId: string, sourceVersion: number): string =>
  `preview-${assetId}-v${sourceVersion}`;

/** Every job of the platform, by name: the one place producers and workers agree on. */
export const jobCatalog = {
  [deliverNotification.name]: deliverNotification,
  [sweepNotificationOutbox.name]: sweepNotificationOutbox,
  [tickDigests.name]: tickDigests,
  [sendDigestChunk.name]: sendDigestChunk,
  [runAdminBulk.name]: runAdminBulk,
  [generateAssetPreview.name]: generateAssetPreview,
  [sweepAssetPreviews.name]: sweepAssetPreviews,
} as const;

export type JobCatalog = typeof jobCatalog;
export type JobName = keyof JobCatalog;
export type PayloadOf<Name extends JobName> = z.input<JobCatalog[Name]['payload']>;
export type ParsedPayloadOf<Name extends JobName> = z.output<JobCatalog[Name]['payload']>;
export type ResultOf<Name extends JobName> = z.output<JobCatalog[Name]['result']>;

/** Job names of one queue, for a worker that consumes it. */
export function jobsOfQueue(queue: QueueName): JobDefinition[] {
  return Object.values(jobCatalog).filter((job) => job.queue === queue);
}

export function findJob(name: string): JobDefinition | undefined {
  return (jobCatalog as Record<string, JobDefinition | undefined>)[name];
}
