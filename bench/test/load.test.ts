import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertLoopback, runLoad } from '../src/harness/load.js';

describe('the load generator', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      response.writeHead(request.url === '/fail' ? 500 : 200).end('ok');
    });
    await once(server.listen(0, '127.0.0.1'), 'listening');
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the requested amount and reports throughput and latency percentiles', async () => {
    const result = await runLoad({
      url: `${base}/`,
      connections: 4,
      amount: 300,
      durationSeconds: 10,
    });
    expect(result.requests).toBe(300);
    expect(result.requestsPerSecond).toBeGreaterThan(0);
    expect(result.errors).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result.latencyMs.p50).toBeLessThanOrEqual(result.latencyMs.p90);
    expect(result.latencyMs.p90).toBeLessThanOrEqual(result.latencyMs.p99);
    expect(result.latencyMs.p99).toBeLessThanOrEqual(result.latencyMs.max);
  });

  it('counts responses that are not 2xx', async () => {
    const result = await runLoad({ url: `${base}/fail`, connections: 2, amount: 50 });
    expect(result.non2xx).toBe(50);
  });

  it('refuses targets off this machine and unbounded runs', async () => {
    expect(() => assertLoopback('http://127.0.0.1:3000/')).not.toThrow();
    expect(() => assertLoopback('http://localhost:3000/')).not.toThrow();
    expect(() => assertLoopback('http://[::1]:3000/')).not.toThrow();
    expect(() => assertLoopback('http://10.0.0.5:3000/')).toThrow('loopback addresses only');
    expect(() => assertLoopback('http://example.com/')).toThrow('loopback addresses only');
    await expect(runLoad({ url: `${base}/`, connections: 10_000 })).rejects.toThrow(RangeError);
    await expect(runLoad({ url: `${base}/`, durationSeconds: 3600 })).rejects.toThrow(RangeError);
  });
});
