import { randomUUID } from 'node:crypto';
import { freePort } from '@conveyor/test-harness/ports';
import { deleteKeysWithPrefix } from '@conveyor/test-harness/redis';
import { defineBenchmark } from '../harness/definition.js';
import type { LoadMeasurement } from '../harness/context.js';
import type { CpuReading } from '../harness/cpu.js';
import { combineCpu, combineRounds } from '../harness/rounds.js';
import {
  startApp,
  startGateway,
  appEnv,
  benchConfig,
  fixtureEntry,
  ownDatabase,
  ownPrefix,
  tokenFor,
} from '../platform.js';

const connections = 50;
/** Rounds of each target, in turn, and the seconds of each (scaled by BENCH_DURATION_SCALE). */
const rounds = 3;
const roundSeconds = 4;
const path = '/api/notifications/unread-count';

/**
 * Every limit ×1 000 000 (200/min becomes 200 000 000/min): the run spends its budget in Redis
 * on every request, as in production, without ever being refused.
 */
const rateLimitScale = '1000000';

function assertClean(label: string, run: LoadMeasurement): void {
  const { errors, timeouts, non2xx, requests } = run.load;
  if (errors > 0 || non2xx > 0 || requests === 0) {
    throw new Error(
      `${label}: ${requests} responses, ${errors} errors (${timeouts} timeouts), ${non2xx} non-2xx under load`,
    );
  }
}

const perRequest = (cpu: CpuReading, requests: number) =>
  requests > 0 ? cpu.micros / requests : Number.NaN;

export default defineBenchmark({
  name: 'gateway',
  description:
    'GET /api/notifications/unread-count through the gateway (authenticated, rate-limit counted), directly on notifications-svc, and a bare fastify route, 50 connections each, in the same run.',
  async run(ctx) {
    const config = benchConfig();
    const database = await ownDatabase(ctx, config);
    const prefix = ownPrefix(ctx, config);
    const env = appEnv(config, database, prefix);

    // One user, provisioned just in time by the service on its first request. The gateway keeps
    // its counters under its fixed prefix, keyed by endpoint and user: this user's key is the
    // run's own and is deleted afterwards.
    const userId = `bench-${randomUUID()}`;
    const authorization = `Bearer ${tokenFor(userId, 'VIEWER')}`;
    ctx.defer(() =>
      deleteKeysWithPrefix(config.BENCH_REDIS_URL, `conveyor:rate-limit:GET ${path}|${userId}`),
    );

    const [servicePort, gatewayPort, barePort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
    ]);
    const serviceOrigin = `http://127.0.0.1:${servicePort}`;
    const gatewayOrigin = `http://127.0.0.1:${gatewayPort}`;
    const bareUrl = `http://127.0.0.1:${barePort}/`;

    const service = await startApp(ctx, 'notifications-svc', env, servicePort);
    const gateway = await startGateway(ctx, env, {
      port: gatewayPort,
      upstreams: { NOTIFICATIONS_URL: serviceOrigin },
      rateLimitScale,
    });
    const bare = await ctx.startService({
      entry: fixtureEntry('hello-fastify.ts'),
      env: { PORT: String(barePort) },
      readyUrl: bareUrl,
    });

    // The gateway path must really authenticate and count: a 200 with the budget headers.
    const probe = await fetch(`${gatewayOrigin}${path}`, { headers: { authorization } });
    const probeBody = await probe.text();
    if (probe.status !== 200 || !probe.headers.has('x-ratelimit-remaining')) {
      throw new Error(
        `the gateway answered ${probe.status} without X-RateLimit headers: ${probeBody}`,
      );
    }

    const headers = { authorization };
    const targets = [
      { label: 'gateway', url: `${gatewayOrigin}${path}`, headers, process: gateway },
      { label: 'direct', url: `${serviceOrigin}${path}`, headers, process: service },
      { label: 'bare', url: bareUrl, headers: {}, process: bare },
    ] as const;
    type Label = (typeof targets)[number]['label'];

    // Warm-up: JIT (the gateway's path runs at a fifth of the bare route's rate, so it gets the
    // longest), connection pools (gateway → service, service → PostgreSQL), caches.
    for (const target of targets) {
      await ctx.load({
        url: target.url,
        headers: target.headers,
        connections,
        durationSeconds: target.label === 'bare' ? 2 : 6,
      });
    }

    // Rounds in turn, so a burst of foreign load on a shared machine falls on every target.
    const runs: Record<Label, LoadMeasurement[]> = { gateway: [], direct: [], bare: [] };
    const serviceCpuViaGateway: CpuReading[] = [];
    for (let index = 0; index < rounds; index += 1) {
      for (const target of targets) {
        // The service works in the gateway path too; its CPU is metered over the same phase.
        const serviceMeter = target.label === 'gateway' ? ctx.cpu(service.pid) : undefined;
        const run = await ctx.measureLoad(target.process, {
          url: target.url,
          headers: target.headers,
          connections,
          durationSeconds: ctx.seconds(roundSeconds),
        });
        if (serviceMeter) serviceCpuViaGateway.push(serviceMeter.stop());
        assertClean(target.label, run);
        runs[target.label].push(run);
      }
    }
    const measured = {} as Record<Label, LoadMeasurement>;
    for (const { label } of targets) {
      const run = combineRounds(runs[label]);
      measured[label] = run;
      ctx.detail(label, { combined: run, rounds: runs[label] });
      ctx.log(
        `${label}: ${Math.round(run.load.requestsPerSecond)} req/s, p50 ${run.load.latencyMs.p50} ms, p99 ${run.load.latencyMs.p99} ms, ${run.serverCpuMicrosPerRequest.toFixed(1)} µs CPU/req, load generator ${run.loadGeneratorCpu.cores.toFixed(2)} cores`,
      );
    }
    const { gateway: viaGateway, direct, bare: bareRun } = measured;
    const serviceCpu = combineCpu(serviceCpuViaGateway);
    const serviceMicrosViaGateway = perRequest(serviceCpu, viaGateway.load.requests);
    ctx.detail('serviceCpuViaGateway', serviceCpu);

    ctx.record({
      name: 'gateway requests/s',
      unit: 'req/s',
      value: viaGateway.load.requestsPerSecond,
      baseline: { label: 'direct', value: direct.load.requestsPerSecond },
      target: { min: 0.5 },
    });
    ctx.record({
      name: 'bare fastify requests/s',
      unit: 'req/s',
      value: bareRun.load.requestsPerSecond,
      baseline: { label: 'direct', value: direct.load.requestsPerSecond },
    });
    ctx.record({
      name: 'gateway latency p50',
      unit: 'ms',
      value: viaGateway.load.latencyMs.p50,
      baseline: { label: 'direct', value: direct.load.latencyMs.p50 },
    });
    ctx.record({
      name: 'gateway latency p99',
      unit: 'ms',
      value: viaGateway.load.latencyMs.p99,
      baseline: { label: 'direct', value: direct.load.latencyMs.p99 },
      target: { max: 20, on: 'value' },
    });
    ctx.record({
      name: 'bare fastify latency p99',
      unit: 'ms',
      value: bareRun.load.latencyMs.p99,
      baseline: { label: 'direct', value: direct.load.latencyMs.p99 },
    });
    ctx.record({
      name: 'gateway CPU per request (gateway process)',
      unit: 'µs/req',
      value: viaGateway.serverCpuMicrosPerRequest,
      baseline: { label: 'bare fastify', value: bareRun.serverCpuMicrosPerRequest },
      target: { max: 2.5 },
    });
    ctx.record({
      name: 'service CPU per request via the gateway',
      unit: 'µs/req',
      value: serviceMicrosViaGateway,
      baseline: { label: 'direct', value: direct.serverCpuMicrosPerRequest },
    });
    ctx.record({
      name: 'service CPU per request direct',
      unit: 'µs/req',
      value: direct.serverCpuMicrosPerRequest,
      baseline: { label: 'bare fastify', value: bareRun.serverCpuMicrosPerRequest },
    });
  },
});
