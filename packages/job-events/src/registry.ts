// The job registry (spec 001's "Job Log"): `job_runs`, written from the durable event streams.
import { queueNames, type QueueName } from '@conveyor/queue-contracts';

export { applyJobEvents } from './registry/apply.js';
export {
  createRegistryConsumer,
  type RegistryConsumer,
  type RegistryConsumerOptions,
} from './registry/consumer.js';
export { REMOVED_REASON } from './registry/fold.js';
export { pruneJobRuns, type PruneOptions } from './registry/prune.js';
export { recordNewJobs, type NewJob, type RegistryWriter } from './registry/record.js';
export { markJobRemoved } from './registry/removed.js';

/** Every queue of the platform: the registry records them all. */
export function jobEventsQueues(): readonly QueueName[] {
  return queueNames;
}
