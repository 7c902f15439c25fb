import type { Database } from '@conveyor/db/client';
import { jobRuns, users } from '@conveyor/db/schema';
import { sql } from 'drizzle-orm';
import type { JobInfo } from '../job-info.js';
import { withoutNul } from './sanitize.js';

/** The database, or a transaction of it. */
export type RegistryWriter = Database | Parameters<Parameters<Database['transaction']>[0]>[0];

/** A job to give a `job_runs` row, with what its hash says about it. */
export interface NewJob {
  queue: string;
  jobId: string;
  info: JobInfo;
}

/**
 * The owner, if that user exists: `owner_id` references `users`, and a job for a user not
 * provisioned here must not fail the whole batch. Users are provisioned on their first
 * request, before they can submit a job, so in practice the owner is always found.
 */
const existingUser = (userId: string) =>
  sql`(select ${users.id} from ${users} where ${users.id} = ${userId})`;

/**
 * Inserts the rows of jobs the registry has no row of yet, in one statement; a row that exists
 * is left alone, whoever wrote it. The one way a `job_runs` row is born, so a row written
 * before the consumer saw the job (a submitter reading its job back at once) is exactly the row
 * the consumer would have written: `waiting`, and no `last_event_id`, so the consumer applies
 * every event of the job to it as to its own.
 */
export async function recordNewJobs(db: RegistryWriter, jobs: readonly NewJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await db
    .insert(jobRuns)
    .values(
      jobs.map(({ queue, jobId, info }) => ({
        queue,
        jobId,
        name: withoutNul(info.name),
        ownerId: info.ownerId === null ? null : existingUser(info.ownerId),
        maxAttempts: info.maxAttempts,
        payloadSummary: withoutNul(info.payloadSummary),
        createdAt: new Date(info.createdAt),
        updatedAt: new Date(info.createdAt),
      })),
    )
    .onConflictDoNothing();
}
