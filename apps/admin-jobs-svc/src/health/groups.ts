import { isQueueName, QueueName, schedules } from '@conveyor/queue-contracts';

/** A health group: the instances of one worker app and the queues they consume. */
export interface WorkerGroup {
  /** The group's key in `/health` (spec 002 names groups by what they do). */
  name: string;
  /** The app name its instances register under (`runWorker`'s `name`). */
  app: string;
  /** The BullMQ queues it consumes, whose waiting jobs tell whether it makes progress. */
  queues: readonly QueueName[];
}

/**
 * The worker apps the platform runs, each expected to have a running instance: a group with
 * none is unhealthy. An app that registers and is not listed here gets a group of its own,
 * named after the app, so a new worker shows before this list knows it.
 */
export const workerGroups: readonly WorkerGroup[] = [
  { name: 'notifications', app: 'delivery-worker', queues: [QueueName.notificationDelivery] },
  { name: 'digests', app: 'digest-worker', queues: [QueueName.notificationDigest] },
  // Deliveries are claimed from PostgreSQL, not a BullMQ queue: only liveness says its health.
  { name: 'webhooks', app: 'webhook-worker', queues: [] },
  { name: 'previews', app: 'preview-worker', queues: [QueueName.mediaPreview] },
  // Bulk retry and cancel batches run in the admin service itself (src/bulk).
  { name: 'admin', app: 'admin-jobs-svc', queues: [QueueName.adminBulk] },
];

/** How many job schedulers of the catalog live on `queues`: what a group should find. */
export const expectedSchedulers = (queues: readonly string[]): number =>
  Object.values(schedules).filter((schedule) => queues.includes(schedule.queue)).length;

/**
 * The groups to report: every listed one, and one per unlisted app among the instances, named
 * after it, with the platform queues its instances consume.
 */
export function groupsFor(
  instances: readonly { app: string; queues: readonly string[] }[],
): WorkerGroup[] {
  const listed = new Set(workerGroups.map((group) => group.app));
  const unlisted = new Map<string, Set<QueueName>>();
  for (const instance of instances) {
    if (listed.has(instance.app)) continue;
    const queues = unlisted.get(instance.app) ?? new Set<QueueName>();
    for (const queue of instance.queues) if (isQueueName(queue)) queues.add(queue);
    unlisted.set(instance.app, queues);
  }
  return [
    ...workerGroups,
    ...[...unlisted].map(([app, queues]) => ({ name: app, app, queues: [...queues] })),
  ];
}

/** The group an app's instances are reported in. */
export const groupNameOf = (app: string): string =>
  workerGroups.find((group) => group.app === app)?.name ?? app;
