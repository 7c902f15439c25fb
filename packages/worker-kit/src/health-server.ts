import { createServer, type Server } from 'node:http';
import type { Registry } from '@conveyor/runtime/metrics';
import { probeAll, type ReadinessCheck } from '@conveyor/runtime/probes';

export interface HealthServer {
  server: Server;
  listen: (port: number, host: string) => Promise<number>;
  close: () => Promise<void>;
}

/**
 * The worker's own small HTTP server: `/healthz`, `/readyz` (its stores answer) and `/metrics`.
 * Plain node:http, since a worker serves nothing else.
 */
export function createHealthServer(options: {
  checks: Record<string, ReadinessCheck>;
  metrics: Registry;
  checkTimeoutMs?: number;
}): HealthServer {
  const server = createServer((request, response) => {
    const send = (status: number, body: unknown, type = 'application/json') => {
      response.writeHead(status, { 'content-type': type });
      response.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const path = request.url?.split('?')[0];
    if (request.method !== 'GET') return send(405, { success: false, error: 'Method not allowed' });
    if (path === '/healthz') return send(200, { status: 'ok' });
    if (path === '/readyz') {
      void probeAll(options.checks, options.checkTimeoutMs ?? 1_000).then((checks) =>
        Object.values(checks).every((state) => state === 'up')
          ? send(200, { status: 'ready', checks })
          : send(503, { success: false, error: 'Service not ready', details: { checks } }),
      );
      return;
    }
    if (path === '/metrics') {
      void options.metrics.metrics().then((text) => send(200, text, options.metrics.contentType));
      return;
    }
    return send(404, { success: false, error: 'Route not found' });
  });
  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
