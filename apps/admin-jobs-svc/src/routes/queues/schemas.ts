import { queueNames } from '@conveyor/queue-contracts';
import { successOf } from '@conveyor/service-kit/envelope';
import { z } from 'zod';

/** The OpenAPI tags of these routes. */
export const queueTags = ['queues'];
export const actionTags = ['actions'];

/**
 * A queue name from the path is any string on purpose: an unknown queue answers 404
 * `Queue not found` (spec 002), not a 400.
 */
const queueName = z.string().describe(`The queue: ${queueNames.map((n) => `\`${n}\``).join(', ')}`);

export const QueueParamsSchema = z.object({ queueName });

export const JobParamsSchema = z.object({
  queueName,
  jobId: z.string().describe('The BullMQ job id'),
});

export const SchedulerParamsSchema = z.object({
  queueName,
  schedulerId: z.string().describe('The job scheduler id'),
});

const count = z.number().int().min(0);

const QueueStatsSchema = z.object({
  name: z.string(),
  paused: z.boolean().describe('Workers take no new job while paused'),
  counts: z
    .object({
      waiting: count,
      active: count,
      delayed: count,
      prioritized: count.describe('Waiting, ordered by priority'),
      paused: count.describe('Waiting in the list of a paused queue'),
      waitingChildren: count.describe('Waiting for child jobs to finish'),
      completed: count.describe('Completed jobs Redis still retains'),
      failed: count.describe('Failed jobs Redis still retains'),
    })
    .describe('Jobs by BullMQ state'),
  lastHour: z
    .object({
      completed: count,
      failed: count,
      completedPerMinute: z.number().min(0),
      failedPerMinute: z.number().min(0),
    })
    .describe('Jobs that finished in the last hour, from the job registry, and as rates'),
  oldestWaitingMs: count
    .nullable()
    .describe('How long the job at the head of the line has waited; null when none waits'),
});

export const QueueListResponseSchema = successOf(z.array(QueueStatsSchema));
export const QueueResponseSchema = successOf(QueueStatsSchema);

export const PauseResponseSchema = successOf(
  z.object({ queue: z.string(), paused: z.boolean().describe('The queue’s state now') }),
);

export const RetryResponseSchema = successOf(
  z.object({ jobId: z.string(), status: z.literal('retried') }),
);

export const CleanBodySchema = z.object({
  state: z.enum(['completed', 'failed']).describe('Which finished jobs to remove'),
  olderThanSeconds: z
    .number()
    .int()
    .min(0)
    .describe('Remove only jobs that finished at least this long ago'),
  // Each batch of the clean is one Lua script that blocks Redis while it runs, so a request
  // removes a bounded number of jobs; run it again to remove more.
  limit: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(1_000)
    .describe('Remove at most this many jobs (default 1 000, at most 100 000)'),
});

export const CleanResponseSchema = successOf(
  z.object({
    queue: z.string(),
    state: z.enum(['completed', 'failed']),
    removed: count.describe('Jobs removed'),
  }),
);

const SchedulerSchema = z.object({
  queue: z.string(),
  id: z.string(),
  jobName: z.string().describe('The job it adds'),
  pattern: z.string().nullable().describe('Cron pattern; null for a fixed interval'),
  every: z.number().int().nullable().describe('Milliseconds between runs; null for a cron one'),
  tz: z.string().nullable().describe('Time zone of the pattern'),
  nextRun: z.iso.datetime().nullable().describe('When it next runs (ISO 8601)'),
  iterationCount: z.number().int().nullable().describe('Jobs it has added so far'),
});

export const SchedulerListResponseSchema = successOf(z.array(SchedulerSchema));

export const TriggerResponseSchema = successOf(
  z.object({
    queue: z.string(),
    schedulerId: z.string(),
    jobId: z.string().describe('The id of the job added now'),
  }),
);
