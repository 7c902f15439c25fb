import type { Database } from '@conveyor/db/client';
import type { JobEventHub } from '@conveyor/job-events/hub';
import { queueNames } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';
import { registerSocketServer } from '@conveyor/realtime/socket-server';
import type { Logger } from '@conveyor/runtime/logger';
import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import { batchesChangedSince } from '../batches/read-batches.js';
import type { Config } from '../config.js';
import { queueStats } from '../queues/queue-stats.js';
import { openStreamConnection } from './connection.js';
import { createRoomHub } from './room-hub.js';

export interface StreamPluginOptions {
  hub: JobEventHub;
  queues: Producer;
  db: Database;
  /** The fail-fast request connection: tickets are redeemed on it. */
  redis: Redis;
  config: Config;
  logger: Logger;
}

/** The path of the admin socket; the gateway proxies it with the same guard as the REST routes. */
export const STREAM_PATH = '/api/admin/jobs/stream';

/**
 * The live admin stream (spec 003, issue 7): `GET /api/admin/jobs/stream`, a WebSocket with the
 * rooms `queues`, `tasks`, `tasks:<queue>` and `batch`. The handshake is judged while it is
 * still an HTTP request, so a refusal is a plain 401 or 403 and no socket opens for a caller who
 * is not an ADMIN: a bearer token or session cookie, or a ticket from `POST /api/realtime/ticket`
 * (the platform's one ticket store, in Redis), then the ADMIN role. Encapsulated, so
 * @fastify/websocket's route wrapping applies to this route only.
 */
const streamPlugin: FastifyPluginAsync<StreamPluginOptions> = async (app, options) => {
  const { config, db } = options;
  const sockets = await registerSocketServer(app, { redis: options.redis, config });
  const rooms = createRoomHub({
    readQueueStats: () => queueStats(options.queues, db, queueNames),
    readBatchesChangedSince: (since) => batchesChangedSince(db, since),
    hub: options.hub,
    queueStatsMs: config.ADMIN_STREAM_QUEUE_STATS_MS,
    batchPollMs: config.ADMIN_STREAM_BATCH_POLL_MS,
    logger: options.logger.child({ component: 'admin-stream' }),
  });
  app.addHook('onClose', async () => {
    await rooms.close();
  });

  app.get(
    STREAM_PATH,
    {
      websocket: true,
      onRequest: [sockets.authenticateHandshake, app.requireAdmin],
    },
    (socket, request) => {
      if (!sockets.admit(request.user.sub, socket)) return;
      openStreamConnection(socket, request.user, {
        rooms,
        maxBufferedBytes: config.REALTIME_MAX_BUFFERED_BYTES,
        log: request.log,
      });
    },
  );
};

export default streamPlugin;
