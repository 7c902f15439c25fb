import type { JobRun } from '@conveyor/db/schema';

/** Registry states in which a job will not change any more. */
const finishedStates: ReadonlySet<JobRun['state']> = new Set(['completed', 'failed']);

export const isFinished = (state: JobRun['state']): boolean => finishedStates.has(state);
