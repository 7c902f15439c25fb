import type { JobDefinition, QueueName } from '@conveyor/queue-contracts';

/**
 * The jobs this service knows, by name: queue-contracts' `jobCatalog` in production (whose
 * user-submittable job is `asset.preview`). The app takes it as a dependency so a test can offer
 * a quick job of its own, one that needs no asset and no ffmpeg.
 */
export type JobCatalog = Readonly<Record<string, JobDefinition>>;

/** The job a user may submit under `name`, if any. */
export function userSubmittableJob(catalog: JobCatalog, name: string): JobDefinition | undefined {
  // Own properties only: a name such as `constructor` must not reach the prototype.
  const job = Object.hasOwn(catalog, name) ? catalog[name] : undefined;
  return job?.userSubmittable ? job : undefined;
}

/** Every queue the catalog's jobs run on, each once. */
export const queuesOf = (catalog: JobCatalog): QueueName[] => [
  ...new Set(Object.values(catalog).map((job) => job.queue)),
];
