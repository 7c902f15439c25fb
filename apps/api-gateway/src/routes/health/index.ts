import type { Registry } from '@conveyor/runtime/metrics';
import { probe } from '@conveyor/runtime/probes';
import { errorBody } from '@conveyor/service-kit/errors';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { getJson } from '../../upstream-client.js';
import type { Upstream } from '../../upstreams.js';

export interface HealthRoutesOptions {
  redis: Redis;
  upstreams: readonly Upstream[];
  metrics: Registry;
  /** Milliseconds each probe may take. @defaultValue 1000 */
  probeTimeoutMs?: number;
}

/**
 * `/healthz` (alive), `/readyz` and `/metrics`, public. Readiness depends on Redis alone: the
 * upstreams' states are reported in `details` but do not make the gateway unready, because a
 * load balancer would then pull every gateway instance at once when one service is down, and
 * cut the routes to the healthy services too. A request to a down service answers 502 itself.
 */
export default function healthRoutes(
  app: FastifyInstance,
  options: HealthRoutesOptions,
  done: (error?: Error) => void,
): void {
  const timeoutMs = options.probeTimeoutMs ?? 1_000;

  app.get('/healthz', () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const [redis, ...upstreamStates] = await Promise.all([
      probe(() => options.redis.ping(), timeoutMs),
      ...options.upstreams.map((upstream) =>
        probe(() => getJson(app.upstreamAgent, `${upstream.url}/healthz`, timeoutMs), timeoutMs),
      ),
    ]);
    const upstreams = Object.fromEntries(
      options.upstreams.map((upstream, index) => [upstream.name, upstreamStates[index]]),
    );
    const checks = { redis };
    if (redis === 'up') return { status: 'ready', checks, upstreams };
    return reply.code(503).send(errorBody('Service not ready', { checks, upstreams }));
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.metrics.contentType);
    return options.metrics.metrics();
  });
  done();
}
