import { createMetricsRegistry } from '@conveyor/runtime/metrics';
import { describe, expect, it } from 'vitest';
import { createHealthServer } from '../src/health-server.js';

describe('the worker health server', () => {
  it('answers /healthz, /readyz and /metrics, and 503 when a check fails', async () => {
    let redisUp = true;
    const health = createHealthServer({
      checks: {
        redis: async () => {
          if (!redisUp) throw new Error('down');
        },
        postgres: () => new Promise(() => undefined), // never answers: the timeout decides
      },
      metrics: createMetricsRegistry('test'),
      checkTimeoutMs: 100,
    });
    const port = await health.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    try {
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({
        success: false,
        error: 'Service not ready',
        details: { checks: { redis: 'up', postgres: 'down' } },
      });
      redisUp = false;
      expect(
        ((await (await fetch(`${base}/readyz`)).json()) as { details: unknown }).details,
      ).toEqual({
        checks: { redis: 'down', postgres: 'down' },
      });
      expect(await (await fetch(`${base}/metrics`)).text()).toContain(
        'process_cpu_user_seconds_total',
      );
      expect((await fetch(`${base}/nothing`)).status).toBe(404);
    } finally {
      await health.close();
    }
  });
});
