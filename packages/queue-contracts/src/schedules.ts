import { QueueName } from './queues.js';

/** A repeating job: BullMQ job-scheduler id, cron pattern and time zone. */
export interface Schedule {
  /** Stable scheduler id: upserting it twice keeps one scheduler. Never rename. */
  id: string;
  queue: QueueName;
  jobName: string;
  pattern: string;
  tz: 'UTC';
  description: string;
}

/** The recurring work of the platform, every pattern in UTC (spec 001 and 002). */
export const schedules = {
  notificationOutboxSweep: {
    id: 'notification-outbox-sweep',
    queue: QueueName.notificationDelivery,
    jobName: 'notification.sweep',
    pattern: '*/30 * * * * *',
    tz: 'UTC',
    description: 'Every 30 s: enqueue delivery for notifications left pending (outbox sweep)',
  },
  digestTick: {
    id: 'digest-tick',
    queue: QueueName.notificationDigest,
    jobName: 'digest.tick',
    pattern: '0 * * * *',
    tz: 'UTC',
    description:
      'Every hour: DAILY digests of the users whose local 09:00 has come in the past hour, WEEKLY on their Monday (spec 001: 09:00 UTC for the default zone)',
  },
  assetPreviewSweep: {
    id: 'asset-preview-sweep',
    queue: QueueName.mediaPreview,
    jobName: 'asset.preview-sweep',
    pattern: '*/5 * * * *',
    tz: 'UTC',
    description: 'Every 5 minutes: enqueue previews of eligible assets left without a job',
  },
  analyticsWeeklyRollup: {
    id: 'analytics-weekly-rollup',
    queue: QueueName.analyticsAggregation,
    jobName: 'analytics.rollup',
    pattern: '0 4 * * 1',
    tz: 'UTC',
    description: 'Weekly rollup every Monday at 04:00 UTC (spec 002)',
  },
  analyticsMonthlyRollup: {
    id: 'analytics-monthly-rollup',
    queue: QueueName.analyticsAggregation,
    jobName: 'analytics.rollup',
    pattern: '0 5 2 * *',
    tz: 'UTC',
    description: 'Monthly rollup on the 2nd at 05:00 UTC (spec 002)',
  },
  searchFullReindex: {
    id: 'search-full-reindex',
    queue: QueueName.searchIndexUpdate,
    jobName: 'search.full-reindex',
    pattern: '0 3 * * 0',
    tz: 'UTC',
    description: 'Full reindex on Sundays at 03:00 UTC (spec 002)',
  },
} as const satisfies Record<string, Schedule>;
