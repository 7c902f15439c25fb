import type { JobRun } from '@conveyor/db/schema';
import { compareStreamIds, type JobEvent } from '../events.js';
import { withoutNul } from './sanitize.js';

/** The columns events change. */
export type RunState = Pick<
  JobRun,
  | 'state'
  | 'progress'
  | 'attemptsMade'
  | 'result'
  | 'failedReason'
  | 'startedAt'
  | 'finishedAt'
  | 'lastEventId'
  | 'updatedAt'
>;

const isFinished = (run: RunState) => run.state === 'completed' || run.state === 'failed';

/** The reason a job removed before it finished (a cancelled job) ends `failed` with. */
export const REMOVED_REASON = 'removed';

function applyOne(run: RunState, event: JobEvent): RunState {
  const at = new Date(event.at);
  switch (event.type) {
    case 'added':
      // A new job in Redis: with a deterministic id, the row may hold an earlier run of it.
      return {
        ...run,
        state: 'waiting',
        progress: 0,
        attemptsMade: 0,
        result: null,
        failedReason: null,
        startedAt: null,
        finishedAt: null,
      };
    case 'waiting':
      // Also a finished job that was retried by hand: it is alive again.
      return { ...run, state: 'waiting', finishedAt: null };
    case 'delayed':
      return { ...run, state: 'delayed', finishedAt: null };
    case 'active':
      // BullMQ's `active` entry carries no attempt count; each one starts an attempt.
      return {
        ...run,
        state: 'active',
        startedAt: run.startedAt ?? at,
        attemptsMade: event.attemptsMade ?? run.attemptsMade + 1,
      };
    case 'progress':
      return { ...run, progress: withoutNul(event.progress ?? run.progress) };
    case 'completed':
      return {
        ...run,
        state: 'completed',
        result: withoutNul(event.result ?? null),
        failedReason: null,
        finishedAt: at,
      };
    case 'failed': {
      const failure = {
        failedReason: withoutNul(event.failedReason ?? null),
        attemptsMade: event.attemptsMade ?? run.attemptsMade,
      };
      // A retried attempt: the next event (`delayed` or `waiting`) sets the state.
      if (event.willRetry) return { ...run, ...failure };
      return { ...run, ...failure, state: 'failed', finishedAt: at };
    }
    case 'removed':
      // A finished job leaves Redis by retention; the row keeps its history.
      if (isFinished(run)) return run;
      return { ...run, state: 'failed', failedReason: REMOVED_REASON, finishedAt: at };
  }
}

/**
 * Applies one job's events to its row, in stream order, skipping every event not newer than
 * the row's `last_event_id`: a replayed batch, or an older event read after a newer one,
 * changes nothing. Null when no event was newer.
 */
export function foldEvents(run: RunState, events: readonly JobEvent[]): RunState | null {
  const sorted = [...events].sort((a, b) => compareStreamIds(a.streamId, b.streamId));
  let next = run;
  let changed = false;
  for (const event of sorted) {
    if (next.lastEventId !== null && compareStreamIds(event.streamId, next.lastEventId) <= 0) {
      continue;
    }
    next = { ...applyOne(next, event), lastEventId: event.streamId, updatedAt: new Date(event.at) };
    changed = true;
  }
  return changed ? next : null;
}
