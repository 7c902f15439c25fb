import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Agent } from 'undici';

declare module 'fastify' {
  interface FastifyInstance {
    /** The one connection pool to the upstream services: proxy, OpenAPI documents and health probes. */
    upstreamAgent: Agent;
  }
}

export interface UpstreamAgentOptions {
  /** Milliseconds to wait for response headers, and between body chunks. */
  timeoutMs: number;
  /** Milliseconds to open a connection. */
  connectTimeoutMs: number;
}

/**
 * Keep-alive pools per upstream origin. Reusing connections is most of a proxy's throughput:
 * a new TCP connection per request would cost more than everything else the gateway does.
 */
function upstreamAgent(
  app: FastifyInstance,
  options: UpstreamAgentOptions,
  done: (error?: Error) => void,
): void {
  const agent = new Agent({
    // Enough parallel sockets per service for a benchmark's concurrency; no pipelining, since a
    // slow response would hold up the ones queued behind it.
    connections: 128,
    pipelining: 1,
    // Below the services' own keep-alive (KEEP_ALIVE_TIMEOUT_MS, 72 s by default), so the
    // gateway, not the service, closes an idle socket and never writes into a closing one.
    keepAliveTimeout: 30_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: { timeout: options.connectTimeoutMs },
  });
  app.decorate('upstreamAgent', agent);
  // The server has drained its requests by now, so nothing still waits on these sockets.
  app.addHook('onClose', async () => agent.destroy());
  done();
}

export default fp(upstreamAgent, { name: 'gateway-upstream-agent', fastify: '5.x' });
