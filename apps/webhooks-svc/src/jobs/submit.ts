import { randomUUID } from 'node:crypto';
import type { JobInfoReader } from '@conveyor/job-events/job-info';
import type { QueueName } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import type { Logger } from '@conveyor/runtime/logger';
import type { JobsRepository } from '../plugins/jobs-repository.js';
import { userSubmittableJob, type JobCatalog } from './catalog.js';
import { idempotentJobId } from './idempotency.js';
import { resourceCheckOf, type ResourceChecks } from './resource-checks.js';

export interface SubmitRequest {
  ownerId: string;
  requestId: string;
  name: string;
  data: Record<string, unknown>;
  idempotencyKey?: string;
}

/** One problem with a submission, as the 400 answer's `details` lists it. */
export interface SubmitIssue {
  path: string;
  message: string;
}

export type SubmitOutcome =
  | { ok: true; jobId: string; created: boolean }
  | { ok: false; issues: SubmitIssue[] }
  /** A resource the payload names is missing or another user's: the 404 text. */
  | { ok: false; notFound: string };

export interface SubmitDeps {
  catalog: JobCatalog;
  producer: Producer;
  jobs: JobsRepository;
  /** Reads a queued job back as the registry consumer does: name, owner, summary, attempts. */
  readJobInfo: JobInfoReader;
  logger: Logger;
  /** Ownership checks of the resources a job names. @defaultValue none */
  resourceChecks?: ResourceChecks;
}

/**
 * Submits a user's job: only a catalog job marked `userSubmittable`, its payload parsed with
 * the job's schema (so a payload that fails it never enters a queue), for resources the caller
 * owns (the job's resource check), run for the caller.
 *
 * The queue is used directly rather than through the typed `enqueue`, which knows the product
 * catalog only; the queues are opened when the app starts (see app.ts), so an add during a Redis
 * outage fails at once on the fail-fast connection instead of waiting for it.
 */
export function createJobSubmitter(deps: SubmitDeps) {
  return async function submit(request: SubmitRequest): Promise<SubmitOutcome> {
    const job = userSubmittableJob(deps.catalog, request.name);
    if (!job) {
      return { ok: false, issues: [{ path: 'name', message: 'is not a job users may submit' }] };
    }
    // The caller's own id and request id win over anything the body says.
    const parsed = job.payload.safeParse({
      ...request.data,
      ownerId: request.ownerId,
      requestId: request.requestId,
    });
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({
        path: ['data', ...issue.path.map(String)].join('.'),
        message: issue.message,
      }));
      return { ok: false, issues };
    }
    // Before the idempotency lookup: a job for a resource the caller cannot reach is refused
    // whatever was submitted before under the same key.
    const check = resourceCheckOf(deps.resourceChecks ?? {}, job.name);
    // The check was found under the job's own name, so `parsed.data` is its payload; TypeScript
    // cannot tie the name looked up to the definition's schema, hence the cast.
    const notFound = await check?.(parsed.data as never, { ownerId: request.ownerId });
    if (notFound !== undefined) return { ok: false, notFound };

    const queue = deps.producer.queue(job.queue);
    const key = request.idempotencyKey;
    const jobId = key === undefined ? randomUUID() : idempotentJobId(request.ownerId, key);
    if (key !== undefined) {
      // The registry holds the job after Redis has dropped it; Redis holds it before the
      // registry has caught up. Two requests racing past both checks still make one job:
      // BullMQ ignores an add under an id it already holds.
      const known =
        (await deps.jobs.find(request.ownerId, jobId)) ?? (await queue.getJob(jobId)) ?? null;
      if (known !== null) return { ok: true, jobId, created: false };
    }
    await queue.add(job.name, parsed.data, { ...job.options, jobId });
    await recordQueued(deps, job.queue, jobId);
    return { ok: true, jobId, created: true };
  };
}

/**
 * The registry row of a job just queued. Best effort: the job is in its queue, so the caller's
 * request has succeeded whatever happens here, and the registry consumer writes the row anyway.
 */
async function recordQueued(deps: SubmitDeps, queue: QueueName, jobId: string): Promise<void> {
  try {
    const info = await deps.readJobInfo(queue, jobId);
    if (info) await deps.jobs.recordQueued(queue, jobId, info);
  } catch (err) {
    deps.logger.warn({ err, jobId }, 'job queued; its registry row waits for the consumer');
  }
}

export type JobSubmitter = ReturnType<typeof createJobSubmitter>;
