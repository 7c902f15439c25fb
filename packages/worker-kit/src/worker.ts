import { CANCELLED_REASON, type JobDefinition } from '@conveyor/queue-contracts';
import type { Logger } from '@conveyor/runtime/logger';
import { Counter, type Registry } from '@conveyor/runtime/metrics';
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { z } from 'zod';
import { listenForCancelRequests } from './cancellation.js';
import { joinPresence, type PresenceScope } from './presence-scope.js';

/**
 * A processor: a plain function of the parsed payload (and the BullMQ job, for progress). The
 * signal aborts when someone cancels the job while it runs (see `./cancellation`); a processor
 * that can stop early passes it on or checks it, and throws once it has stopped. One that
 * ignores it simply runs to its end.
 */
export type Processor<Definition extends JobDefinition> = (
  payload: z.output<Definition['payload']>,
  job: Job,
  signal: AbortSignal,
) => Promise<z.input<Definition['result']>>;

export interface BoundProcessor {
  definition: JobDefinition;
  process: (payload: unknown, job: Job, signal: AbortSignal) => Promise<unknown>;
}

/** Pairs a job definition of the catalog with the function that does its work. */
export function bindProcessor<Definition extends JobDefinition>(
  definition: Definition,
  process: Processor<Definition>,
): BoundProcessor {
  return { definition, process: process as BoundProcessor['process'] };
}

export interface QueueWorkerOptions {
  processors: readonly BoundProcessor[];
  /** A blocking connection with `maxRetriesPerRequest: null`. */
  connection: ConnectionOptions;
  prefix: string;
  /** Jobs processed at once by this instance. @defaultValue 1 */
  concurrency?: number;
  logger: Logger;
  metrics?: Registry;
  /** Where this worker announces itself. @defaultValue the scope `runWorker` builds the app in */
  presence?: PresenceScope;
}

export interface QueueWorker {
  worker: Worker;
  /** Resolves once the worker hears cancel requests. */
  cancellable: Promise<void>;
  /** Stops taking jobs and waits for the ones in hand to finish. */
  close: () => Promise<void>;
}

/**
 * A BullMQ worker for one queue. Every payload is parsed with its job's schema before the
 * processor sees it; a payload that does not parse, or a job name the queue does not know,
 * fails at once without retries, since retrying cannot fix it. A job cancelled while it runs
 * (a request on queue-contracts' cancel channel) has its processor's signal aborted; if the
 * processor then throws, the job fails with `Cancelled` and is not retried, since the user
 * asked for it to stop.
 */
export function createQueueWorker(options: QueueWorkerOptions): QueueWorker {
  const queues = new Set(options.processors.map((bound) => bound.definition.queue));
  const [queue] = queues;
  if (queues.size !== 1 || queue === undefined) {
    throw new Error('a worker consumes exactly one queue: give it processors of one queue');
  }
  const byName = new Map(options.processors.map((bound) => [bound.definition.name, bound]));
  const finished = options.metrics
    ? new Counter({
        name: 'jobs_finished_total',
        help: 'Jobs finished by this worker, by queue, job name and outcome',
        labelNames: ['queue', 'name', 'outcome'] as const,
        registers: [options.metrics],
      })
    : undefined;

  const log = options.logger.child({ queue });
  /** The abort controllers of the jobs this instance runs, by job id. */
  const running = new Map<string, AbortController>();
  const cancelRequests = listenForCancelRequests({
    connection: options.connection,
    prefix: options.prefix,
    queue,
    logger: log,
    onCancel: (jobId) => running.get(jobId)?.abort(new Error(CANCELLED_REASON)),
  });

  const worker = new Worker(
    queue,
    async (job: Job) => {
      const bound = byName.get(job.name);
      if (!bound) throw new UnrecoverableError(`unknown job name "${job.name}" on queue ${queue}`);
      const parsed = bound.definition.payload.safeParse(job.data);
      if (!parsed.success) {
        throw new UnrecoverableError(`invalid payload for ${job.name}: ${parsed.error.message}`);
      }
      const result = await processCancellably(bound, parsed.data, job, running);
      return bound.definition.result.parse(result);
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 1,
    },
  );
  worker.on('error', (err) => log.error({ err }, 'worker error'));
  worker.on('failed', (job, err) => {
    finished?.inc({ queue, name: job?.name ?? 'unknown', outcome: 'failed' });
    log.warn(
      { err, jobId: job?.id, name: job?.name, attemptsMade: job?.attemptsMade },
      'job failed',
    );
  });
  worker.on('completed', (job) => finished?.inc({ queue, name: job.name, outcome: 'completed' }));

  const tally = { completed: 0, failed: 0, lastCompletedAt: undefined as Date | undefined };
  worker.on('completed', () => {
    tally.completed += 1;
    tally.lastCompletedAt = new Date();
  });
  worker.on('failed', () => (tally.failed += 1));
  const presence = joinPresence({
    scope: options.presence,
    queues: [queue],
    concurrency: options.concurrency ?? 1,
    // The jobs in hand are the ones whose processor runs now.
    tally: () => ({ ...tally, active: running.size }),
  });
  return {
    worker,
    cancellable: cancelRequests.ready,
    close: async () => {
      // The subscription outlives the worker's drain, so a job still finishing can be cancelled;
      // the presence entry too, so a draining worker still shows as running.
      try {
        await worker.close();
      } finally {
        cancelRequests.close();
        await presence?.close();
      }
    },
  };
}

/** Runs a processor with an abort signal that a cancel request for this job aborts. */
async function processCancellably(
  bound: BoundProcessor,
  payload: unknown,
  job: Job,
  running: Map<string, AbortController>,
): Promise<unknown> {
  // BullMQ always gives a job taken from a queue its id.
  const jobId = job.id!;
  const controller = new AbortController();
  running.set(jobId, controller);
  try {
    return await bound.process(payload, job, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) throw new UnrecoverableError(CANCELLED_REASON);
    throw error;
  } finally {
    running.delete(jobId);
  }
}
