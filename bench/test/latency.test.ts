import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureLatency, summarize } from '../src/harness/latency.js';

describe('the latency meter', () => {
  let server: Server;
  let base: string;
  let connections = 0;
  const paths: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      paths.push(request.url ?? '');
      const delayMs = request.url === '/slow' ? 5 : 0;
      setTimeout(() => response.writeHead(request.url === '/fail' ? 500 : 200).end('ok'), delayMs);
    });
    server.on('connection', () => (connections += 1));
    await once(server.listen(0, '127.0.0.1'), 'listening');
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends one request at a time on one kept-alive connection, up to the count', async () => {
    const before = connections;
    const summary = await measureLatency({
      url: `${base}/`,
      maxRequests: 200,
      durationSeconds: 10,
    });
    expect(summary.requests).toBe(200);
    expect(summary.non2xx).toBe(0);
    expect(connections - before).toBe(1);
    expect(summary.p50).toBeLessThanOrEqual(summary.p99);
    expect(summary.p99).toBeLessThanOrEqual(summary.max);
  });

  it('measures below a millisecond and sees a slower answer', async () => {
    const slow = await measureLatency({ url: `${base}/slow`, maxRequests: 20 });
    expect(slow.p50).toBeGreaterThanOrEqual(4.5);
    const fast = await measureLatency({ url: `${base}/`, maxRequests: 50 });
    expect(fast.p50).toBeLessThan(slow.p50);
    expect(Number.isInteger(fast.p50)).toBe(false);
  });

  it('requests several URLs in turn, on the same connection', async () => {
    const before = connections;
    paths.length = 0;
    const summary = await measureLatency({
      url: [`${base}/a`, `${base}/b`, `${base}/c`],
      maxRequests: 7,
    });
    expect(summary.requests).toBe(7);
    expect(paths).toEqual(['/a', '/b', '/c', '/a', '/b', '/c', '/a']);
    expect(connections - before).toBe(1);
    await expect(measureLatency({ url: [`${base}/a`, 'http://example.com/'] })).rejects.toThrow(
      /loopback/,
    );
    await expect(measureLatency({ url: [] })).rejects.toThrow(/at least one/);
  });

  it('counts answers that are not 2xx and refuses other hosts', async () => {
    expect((await measureLatency({ url: `${base}/fail`, maxRequests: 5 })).non2xx).toBe(5);
    await expect(measureLatency({ url: 'http://example.com/' })).rejects.toThrow(/loopback/);
  });

  it('summarizes a list of latencies', () => {
    expect(summarize([1, 2, 3, 4, 5])).toMatchObject({ requests: 5, p50: 3, max: 5 });
  });
});
