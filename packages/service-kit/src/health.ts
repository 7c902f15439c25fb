import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';

/** A readiness check: resolves when the dependency answers, rejects (or times out) otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

export interface HealthOptions {
  checks: Record<string, ReadinessCheck>;
  metrics: Registry;
  /** Milliseconds each check may take. @defaultValue 1000 */
  checkTimeoutMs?: number;
}

async function within(check: ReadinessCheck, timeoutMs: number): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz` (the process is alive), `/readyz` (its dependencies answer; 503 otherwise, so a
 * load balancer takes it out) and `/metrics` (Prometheus). Hidden from the OpenAPI document.
 */
async function healthRoutes(app: FastifyInstance, options: HealthOptions): Promise<void> {
  const timeoutMs = options.checkTimeoutMs ?? 1_000;
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const names = Object.keys(options.checks);
    const states = await Promise.all(names.map((name) => within(options.checks[name]!, timeoutMs)));
    const checks = Object.fromEntries(names.map((name, index) => [name, states[index]]));
    if (states.every((state) => state === 'up')) return { status: 'ready', checks };
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
