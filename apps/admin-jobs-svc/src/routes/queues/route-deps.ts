import type { Database } from '@conveyor/db/client';
import type { Producer } from '@conveyor/queue-contracts/producer';

/** What the queue, stats and audit route plugins act on, handed over by `buildApp`. */
export interface AdminRouteDeps {
  /** Every queue of the platform (`queues.queue(name)`). */
  queues: Producer;
  db: Database;
}
