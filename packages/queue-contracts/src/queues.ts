/**
 * BullMQ queue names. Never rename one without a migration: jobs waiting in Redis and rows in
 * `job_runs` carry the name, and a renamed queue strands both.
 */
export const QueueName = {
  notificationDelivery: 'notification-delivery',
  notificationDigest: 'notification-digest',
  analyticsAggregation: 'analytics-aggregation',
  searchIndexUpdate: 'search-index-update',
  mediaPreview: 'media-preview',
  /** Admin bulk retry and bulk cancel batches, run inside admin-jobs-svc. */
  adminBulk: 'admin-bulk',
} as const;

export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const queueNames: readonly QueueName[] = Object.values(QueueName);

export function isQueueName(value: string): value is QueueName {
  return (queueNames as readonly string[]).includes(value);
}
