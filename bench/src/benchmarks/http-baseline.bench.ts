import { fileURLToPath } from 'node:url';
import { freePort } from '@conveyor/test-harness/ports';
import { defineBenchmark } from '../harness/definition.js';

const fixture = (file: string) => fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url));

export default defineBenchmark({
  name: 'http-baseline',
  description:
    "A bare fastify route against Node's bare http server, 50 connections, in the same run.",
  async run(ctx) {
    const servers = { fastify: 'hello-fastify.ts', 'node:http': 'hello-http.ts' } as const;
    const measured: Record<string, Awaited<ReturnType<typeof ctx.measureLoad>>> = {};
    for (const [label, file] of Object.entries(servers)) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/`;
      const server = await ctx.startService({
        entry: fixture(file),
        env: { PORT: String(port) },
        readyUrl: url,
      });
      await ctx.load({ url, connections: 50, durationSeconds: 1 }); // warm-up: JIT, connection pools
      measured[label] = await ctx.measureLoad(server, {
        url,
        connections: 50,
        durationSeconds: ctx.seconds(5),
      });
      await server.stop();
      const { load, serverCpuMicrosPerRequest } = measured[label];
      ctx.log(
        `${label}: ${Math.round(load.requestsPerSecond)} req/s, p99 ${load.latencyMs.p99} ms, ${serverCpuMicrosPerRequest.toFixed(1)} µs CPU/req`,
      );
      ctx.detail(label, measured[label]);
    }
    const fastify = measured.fastify!;
    const http = measured['node:http']!;
    const baseline = (value: number) => ({ label: 'node:http', value });
    for (const [label, run] of Object.entries(measured)) {
      if (run.load.errors > 0 || run.load.non2xx > 0) {
        throw new Error(
          `${label}: ${run.load.errors} errors and ${run.load.non2xx} non-2xx responses under load`,
        );
      }
    }
    ctx.record({
      name: 'fastify requests/s',
      unit: 'req/s',
      value: fastify.load.requestsPerSecond,
      baseline: baseline(http.load.requestsPerSecond),
      // fastify's own claim is most of bare http's throughput; half is the floor on a shared machine.
      target: { min: 0.5 },
    });
    ctx.record({
      name: 'fastify latency p50',
      unit: 'ms',
      value: fastify.load.latencyMs.p50,
      baseline: baseline(http.load.latencyMs.p50),
    });
    ctx.record({
      name: 'fastify latency p99',
      unit: 'ms',
      value: fastify.load.latencyMs.p99,
      baseline: baseline(http.load.latencyMs.p99),
    });
    ctx.record({
      name: 'fastify server CPU per request',
      unit: 'µs/req',
      value: fastify.serverCpuMicrosPerRequest,
      baseline: baseline(http.serverCpuMicrosPerRequest),
      target: { max: 2 },
    });
    ctx.record({
      name: 'fastify peak RSS under load',
      unit: 'MiB',
      value: fastify.serverMemory.peakBytes / 2 ** 20,
      baseline: baseline(http.serverMemory.peakBytes / 2 ** 20),
    });
  },
});
