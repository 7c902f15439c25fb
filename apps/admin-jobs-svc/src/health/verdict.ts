import type { WorkerPresence } from '@conveyor/worker-kit/presence-reader';
import { expectedSchedulers, type WorkerGroup } from './groups.js';

/** What the verdict needs to know of one queue. */
export interface QueueState {
  /** Jobs ready to run and not taken: in line, by priority, or in a paused list. */
  waiting: number;
  paused: boolean;
  schedulers: number;
}

export interface WorkerStatus {
  isRunning: boolean;
  error?: string;
}

/** One group of spec 002's `/health`. */
export interface GroupHealth {
  healthy: boolean;
  workers: Record<string, WorkerStatus>;
  /** Only for groups whose queues carry job schedulers of the catalog. */
  scheduledJobs?: number;
}

export interface WorkersHealth {
  healthy: boolean;
  groups: Record<string, GroupHealth>;
}

const seconds = (ms: number) => Math.floor(ms / 1_000);

/**
 * Health is progress, not a ping. A group is healthy when it has a running instance, none of
 * its queues is stalled, and the job schedulers the catalog puts on its queues exist. A queue
 * is stalled when jobs wait on it (and it is not paused) while every running instance
 * consuming it has completed nothing for `stallMs`, counted from its start when it never has:
 * a worker whose connection hangs, or whose jobs never end, still heartbeats, but this
 * catches it. The error of each such instance says why.
 */
export function judgeHealth(options: {
  groups: readonly WorkerGroup[];
  instances: readonly WorkerPresence[];
  queues: ReadonlyMap<string, QueueState>;
  stallMs: number;
  now: number;
}): WorkersHealth {
  const { instances, queues, stallMs, now } = options;
  const quietFor = (instance: WorkerPresence) =>
    now - Math.max(instance.startedAt.getTime(), instance.lastCompletedAt?.getTime() ?? 0);

  const stallOf = (queue: string): string | undefined => {
    const state = queues.get(queue);
    if (!state || state.waiting === 0 || state.paused) return undefined;
    const consumers = instances.filter((i) => i.isRunning && i.queues.includes(queue));
    if (consumers.length === 0 || consumers.some((i) => quietFor(i) < stallMs)) return undefined;
    return `${state.waiting} job(s) wait on ${queue}`;
  };

  const groups: Record<string, GroupHealth> = {};
  for (const group of options.groups) {
    const stalls = new Map<string, string | undefined>(
      group.queues.map((queue) => [queue, stallOf(queue)]),
    );
    const members = instances.filter((instance) => instance.app === group.app);
    const workers: Record<string, WorkerStatus> = {};
    for (const instance of members) {
      const stalled = instance.queues.map((queue) => stalls.get(queue)).find(Boolean);
      workers[instance.id] = !instance.isRunning
        ? {
            isRunning: false,
            error: `No heartbeat for ${seconds(now - instance.lastHeartbeat.getTime())} s`,
          }
        : stalled
          ? {
              isRunning: true,
              error: `Stalled: no job completed for ${seconds(quietFor(instance))} s while ${stalled}`,
            }
          : { isRunning: true };
    }
    const expected = expectedSchedulers(group.queues);
    const scheduledJobs = group.queues.reduce(
      (sum, queue) => sum + (queues.get(queue)?.schedulers ?? 0),
      0,
    );
    groups[group.name] = {
      healthy:
        members.some((instance) => instance.isRunning) &&
        [...stalls.values()].every((stall) => stall === undefined) &&
        scheduledJobs >= expected,
      workers,
      ...(expected > 0 ? { scheduledJobs } : {}),
    };
  }
  return { healthy: Object.values(groups).every((group) => group.healthy), groups };
}
