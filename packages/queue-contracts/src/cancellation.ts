import { z } from 'zod';

/**
 * The contract of cancelling running jobs, between whoever asks (webhooks-svc publishes) and
 * the workers (worker-kit subscribes). BullMQ can remove a waiting or delayed job, but an
 * active one is held by whichever worker instance took it, so a cancel request is broadcast on
 * a pub/sub channel and the instance that holds the job aborts it. Pub/sub (not a stream) on
 * purpose: a request only matters to a job running at that moment, and a job that is not
 * running anywhere is cancelled by removing it from its queue instead.
 */

/** The reason a cancelled job fails with, whether its worker aborted it or it was removed. */
export const CANCELLED_REASON = 'Cancelled';

/** The channel of cancel requests under a BullMQ key prefix: `<prefix>:job-cancel`. */
export const jobCancelChannel = (prefix: string): string => `${prefix}:job-cancel`;

export const JobCancelRequestSchema = z.object({
  queue: z.string().min(1),
  jobId: z.string().min(1),
});

export type JobCancelRequest = z.infer<typeof JobCancelRequestSchema>;

/** A request as it travels on the channel: JSON. */
export function encodeJobCancelRequest(request: JobCancelRequest): string {
  return JSON.stringify(JobCancelRequestSchema.parse(request));
}

/**
 * A message of the channel read back, or null when it is not a request: anyone with access to
 * Redis can publish there, and a subscriber must not fail on what it cannot read.
 */
export function decodeJobCancelRequest(message: string): JobCancelRequest | null {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return null;
  }
  const parsed = JobCancelRequestSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
