import type { JobEventHub } from '@conveyor/job-events/hub';
import { queueNames, type QueueName } from '@conveyor/queue-contracts';
import type { Logger } from '@conveyor/runtime/logger';
import { createPeriodicTask } from '@conveyor/runtime/periodic';
import type { BatchView } from '../batches/batch-view.js';
import type { QueueStats } from '../queues/queue-stats.js';
import { taskRoomsOf, type Room } from './rooms.js';
import type { RoomMember, StreamMessage } from './server-messages.js';
import { taskUpdateOf } from './task-update.js';

export interface RoomHubOptions {
  /** Every queue's stats, as `GET /api/admin/jobs/queues` answers them. */
  readQueueStats: () => Promise<QueueStats[]>;
  /** Batches whose progress may have changed since a time (read-batches.ts). */
  readBatchesChangedSince: (since: Date) => Promise<BatchView[]>;
  hub: Pick<JobEventHub, 'subscribeQueue'>;
  /** ADMIN_STREAM_QUEUE_STATS_MS: spec 003's 5 s. */
  queueStatsMs: number;
  /** ADMIN_STREAM_BATCH_POLL_MS: how often running batches are looked at. */
  batchPollMs: number;
  logger: Logger;
}

/**
 * Seconds of overlap between two batch polls: a row written by a clock slightly behind ours,
 * or committed just after a poll began, is still seen by the next one. Duplicates are dropped
 * by comparing with what was last sent.
 */
const batchPollOverlapMs = 2_000;

/**
 * The rooms of one instance and the sources that feed them, each running only while its room
 * has a member: a timer that reads every queue's stats once per period for all of them, one hub
 * subscription per watched queue, and a poll of the batch tables. So the cost is per instance
 * and room, not per socket, and nothing runs for an instance nobody watches.
 */
export function createRoomHub(options: RoomHubOptions) {
  const { logger } = options;
  const members = new Map<Room, Set<RoomMember>>();
  const membersOf = (room: Room): ReadonlySet<RoomMember> => members.get(room) ?? new Set();
  const broadcast = (room: Room, message: StreamMessage) => {
    for (const member of membersOf(room)) member.send(message);
  };

  let lastStats: StreamMessage | undefined;
  const queueStatsTicker = createPeriodicTask({
    everyMs: options.queueStatsMs,
    run: async () => {
      const queues = await options.readQueueStats();
      lastStats = { type: 'queue_stats', data: { queues, at: new Date().toISOString() } };
      broadcast('queues', lastStats);
    },
    // Redis or PostgreSQL away: this period is skipped, the next one tries again.
    onError: (error) => logger.warn({ err: error }, 'admin stream: queue stats failed'),
  });

  const lastSent = new Map<string, string>();
  let polledAt = Date.now();
  const batchPoller = createPeriodicTask({
    everyMs: options.batchPollMs,
    run: async () => {
      const startedAt = Date.now();
      const batches = await options.readBatchesChangedSince(
        new Date(polledAt - batchPollOverlapMs),
      );
      polledAt = startedAt;
      for (const batch of batches) {
        const signature = JSON.stringify([batch.state, batch.completed, batch.total]);
        if (lastSent.get(batch.id) === signature) continue;
        lastSent.set(batch.id, signature);
        broadcast('batch', { type: 'batch_progress', data: batch });
      }
    },
    onError: (error) => logger.warn({ err: error }, 'admin stream: batch poll failed'),
  });

  const queueSubscriptions = new Map<QueueName, () => void>();
  /** Subscribes to the queues some task room needs, and leaves the others. */
  const syncQueueSubscriptions = () => {
    const everyQueue = membersOf('tasks').size > 0;
    for (const queue of queueNames) {
      const wanted = everyQueue || membersOf(`tasks:${queue}`).size > 0;
      const unsubscribe = queueSubscriptions.get(queue);
      if (wanted && !unsubscribe) {
        const leave = options.hub.subscribeQueue(queue, (event) => {
          const message: StreamMessage = { type: 'task_update', data: taskUpdateOf(event) };
          // A socket in both `tasks` and `tasks:<queue>` hears the update once.
          const listeners = new Set(taskRoomsOf(queue).flatMap((room) => [...membersOf(room)]));
          for (const member of listeners) member.send(message);
        });
        queueSubscriptions.set(queue, leave);
      } else if (!wanted && unsubscribe) {
        unsubscribe();
        queueSubscriptions.delete(queue);
      }
    }
  };

  /** Starts or stops what feeds a room after its first member came or its last one left. */
  const syncSource = (room: Room) => {
    const watched = membersOf(room).size > 0;
    if (room === 'queues') {
      if (watched) queueStatsTicker.start();
      else void queueStatsTicker.stop();
    } else if (room === 'batch') {
      if (watched) {
        polledAt = Date.now();
        batchPoller.start();
      } else {
        void batchPoller.stop();
        lastSent.clear();
      }
    } else syncQueueSubscriptions();
  };

  return {
    join(member: RoomMember, room: Room): void {
      let set = members.get(room);
      if (!set) {
        set = new Set();
        members.set(room, set);
      }
      if (set.has(member)) return;
      set.add(member);
      if (set.size === 1) syncSource(room);
      // A late joiner gets the latest stats now rather than at the next period.
      else if (room === 'queues' && lastStats) member.send(lastStats);
    },

    leave(member: RoomMember, room: Room): void {
      const set = members.get(room);
      if (!set?.delete(member)) return;
      if (set.size > 0) return;
      members.delete(room);
      syncSource(room);
    },

    async close(): Promise<void> {
      members.clear();
      for (const unsubscribe of queueSubscriptions.values()) unsubscribe();
      queueSubscriptions.clear();
      await Promise.all([queueStatsTicker.stop(), batchPoller.stop()]);
    },
  };
}

export type RoomHub = ReturnType<typeof createRoomHub>;
