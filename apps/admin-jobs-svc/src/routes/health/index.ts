import type { Producer } from '@conveyor/queue-contracts/producer';
import { listPresence } from '@conveyor/worker-kit/presence-reader';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import { groupNameOf } from '../../health/groups.js';
import { readWorkersHealth } from '../../health/read-health.js';
import { errorResponses } from '../queues/errors.js';
import {
  HealthResponseSchema,
  healthTags,
  WorkersQuerySchema,
  WorkersResponseSchema,
} from './schemas.js';

export interface HealthRouteDeps {
  queues: Producer;
  /** Where the workers' presence is read. */
  redis: Redis;
  config: Pick<Config, 'BULL_PREFIX' | 'ADMIN_HEALTH_STALL_SECONDS'>;
}

/** `/health` (spec 002) and `/workers`, from the workers' presence (issue 7 part 1). */
const healthRoutes: FastifyPluginAsyncZod<HealthRouteDeps> = async (app, deps) => {
  const prefix = deps.config.BULL_PREFIX;

  app.get(
    '/health',
    {
      schema: {
        tags: healthTags,
        summary: 'Health of every worker group',
        description:
          'Spec 002. Health is progress, not a ping: a group is unhealthy with no running ' +
          'instance, with a queue whose jobs wait while its running instances have completed ' +
          'nothing for ADMIN_HEALTH_STALL_SECONDS, or with a job scheduler of the catalog ' +
          'missing. An instance counts as running while it heartbeats.',
        response: { 200: HealthResponseSchema.describe('The health'), ...errorResponses(403) },
      },
    },
    async () => {
      const health = await readWorkersHealth({
        redis: deps.redis,
        prefix,
        queues: deps.queues,
        stallMs: deps.config.ADMIN_HEALTH_STALL_SECONDS * 1_000,
      });
      return { success: true as const, data: { healthy: health.healthy, ...health.groups } };
    },
  );

  app.get(
    '/workers',
    {
      schema: {
        tags: healthTags,
        summary: 'Every worker instance',
        description:
          'The instances that heartbeat, or did within the last 10 minutes, by app and start.',
        querystring: WorkersQuerySchema,
        response: {
          200: WorkersResponseSchema.describe('The instances'),
          ...errorResponses(400, 403),
        },
      },
    },
    async (request) => {
      const instances = await listPresence(deps.redis, prefix, request.query);
      instances.sort(
        (a, b) =>
          a.app.localeCompare(b.app) ||
          a.startedAt.getTime() - b.startedAt.getTime() ||
          a.id.localeCompare(b.id),
      );
      return {
        success: true as const,
        data: instances.map((instance) => ({
          ...instance,
          group: groupNameOf(instance.app),
          startedAt: instance.startedAt.toISOString(),
          lastHeartbeat: instance.lastHeartbeat.toISOString(),
          lastCompletedAt: instance.lastCompletedAt?.toISOString() ?? null,
        })),
      };
    },
  );
};

export default healthRoutes;
