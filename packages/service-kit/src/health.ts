import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { probeAll, type ReadinessCheck } from '@conveyor/runtime/probes';
import type { Registry } from 'prom-client';

export type { ReadinessCheck } from '@conveyor/runtime/probes';

export interface HealthOptions {
  checks: Record<string, ReadinessCheck>;
  metrics: Registry;
  /** Milliseconds each check may take. @defaultValue 1000 */
  checkTimeoutMs?: number;
}

/**
 * `/healthz` (the process is alive), `/readyz` (its dependencies answer; 503 otherwise, so a
 * load balancer takes it out) and `/metrics` (Prometheus). Hidden from the OpenAPI document.
 */
async function healthRoutes(app: FastifyInstance, options: HealthOptions): Promise<void> {
  const timeoutMs = options.checkTimeoutMs ?? 1_000;
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const checks = await probeAll(options.checks, timeoutMs);
    if (Object.values(checks).every((state) => state === 'up')) return { status: 'ready', checks };
    return reply
      .code(503)
      .send({ success: false, error: 'Service not ready', details: { checks } });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', options.metrics.contentType);
    return options.metrics.metrics();
  });
}

export default fp(healthRoutes, { name: 'conveyor-health', fastify: '5.x' });
