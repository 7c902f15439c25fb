import type { JobsOptions } from 'bullmq';

const HOUR = 3_600;

/**
 * Options every job gets unless its definition says otherwise: a few attempts with exponential
 * backoff, and bounded retention in Redis (the registry in PostgreSQL keeps the history).
 */
export const defaultJobOptions = {
  /** @defaultValue 5 */
  attempts: 5,
  /** 1 s, 2 s, 4 s, 8 s between attempts. */
  backoff: { type: 'exponential', delay: 1_000 },
  /** Completed jobs stay in Redis for a day, at most 1 000 per queue. */
  removeOnComplete: { age: 24 * HOUR, count: 1_000 },
  /** Failed jobs stay in Redis for a week, at most 5 000 per queue, for inspection and retry. */
  removeOnFail: { age: 7 * 24 * HOUR, count: 5_000 },
} as const satisfies JobsOptions;
