import type { Database } from '@conveyor/db/client';
import { jobRunColumns, jobRuns, type JobRun } from '@conveyor/db/schema';
import type { JobInfo } from '@conveyor/job-events/job-info';
import { recordNewJobs } from '@conveyor/job-events/registry';
import { and, count, desc, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    jobsRepository: JobsRepository;
  }
}

export interface JobPageRequest {
  /** From 1. */
  page: number;
  limit: number;
}

/**
 * Newest first, as job_runs_owner_created_idx and job_runs_owner_state_created_idx keep it
 * (`DESC NULLS LAST`, so PostgreSQL reads the index in order); the id breaks ties so pages
 * never overlap.
 */
const newestFirst = [sql`${jobRuns.createdAt} desc nulls last`, desc(jobRuns.jobId)];

const ownedBy = (ownerId: string, state?: JobRun['state']) =>
  and(eq(jobRuns.ownerId, ownerId), state === undefined ? undefined : eq(jobRuns.state, state));

/**
 * A user's jobs in the registry. Every method takes the owner's id: a missing, malformed or
 * foreign job id all answer `null`, so the routes cannot tell them apart either.
 */
export function createJobsRepository(db: Database) {
  return {
    /** The caller's job by id. User jobs have UUID ids, unique across queues. */
    async find(ownerId: string, jobId: string): Promise<JobRun | null> {
      const [row] = await db
        .select(jobRunColumns)
        .from(jobRuns)
        .where(and(eq(jobRuns.jobId, jobId), eq(jobRuns.ownerId, ownerId)))
        .limit(1);
      return row ?? null;
    },

    /** One page of the caller's jobs, newest first, with the total of the filtered list. */
    async list(
      ownerId: string,
      state: JobRun['state'] | undefined,
      { page, limit }: JobPageRequest,
    ): Promise<{ rows: JobRun[]; total: number }> {
      const offset = (page - 1) * limit;
      const rows = await db
        .select(jobRunColumns)
        .from(jobRuns)
        .where(ownedBy(ownerId, state))
        .orderBy(...newestFirst)
        .limit(limit)
        .offset(offset);
      // A short page that is not past the end already tells the total: one query, not two.
      if (rows.length < limit && (rows.length > 0 || offset === 0)) {
        return { rows, total: offset + rows.length };
      }
      const [counted] = await db
        .select({ total: count() })
        .from(jobRuns)
        .where(ownedBy(ownerId, state));
      return { rows, total: counted?.total ?? 0 };
    },

    /**
     * Writes the row of a job just queued, so that the submitter can read its job at once
     * instead of after the registry consumer has caught up. The registry's own insert: a row
     * the consumer already wrote stays as it is, and the consumer takes this one for its own.
     */
    async recordQueued(queue: string, jobId: string, info: JobInfo): Promise<void> {
      await recordNewJobs(db, [{ queue, jobId, info }]);
    },
  };
}

export type JobsRepository = ReturnType<typeof createJobsRepository>;

export default fp(
  async function jobsRepository(app: FastifyInstance, options: { db: Database }) {
    app.decorate('jobsRepository', createJobsRepository(options.db));
  },
  { name: 'jobs-repository', fastify: '5.x' },
);
