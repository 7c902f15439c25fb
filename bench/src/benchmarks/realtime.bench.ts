import { randomUUID } from 'node:crypto';
import { QueueName } from '@conveyor/queue-contracts';
import { freePort } from '@conveyor/test-harness/ports';
import { deleteKeysWithPrefix } from '@conveyor/test-harness/redis';
import { Queue, type Job } from 'bullmq';
import { defineBenchmark } from '../harness/definition.js';
import type { RunningService } from '../harness/processes.js';
import {
  appEnv,
  benchConfig,
  ownDatabase,
  ownPrefix,
  startApp,
  startGateway,
  tokenFor,
} from '../platform.js';
import { publishProgress } from '../progress-publisher.js';
import { connectClients, type ReceiptSummary } from '../realtime-clients.js';

const clients = 1_000;
const eventsPerSecond = 5_000;
const phaseSeconds = 8;
const MiB = 2 ** 20;
/** Every limit ×1 000: 1 000 users opening a socket each is not what the table is about. */
const rateLimitScale = '1000';

interface PathResult {
  published: number;
  receipts: ReceiptSummary;
  closedEarly: number;
  eventsPerSecond: number;
  memory: Record<string, { peakMiB: number; meanMiB: number }>;
}

export default defineBenchmark({
  name: 'realtime',
  description:
    '1 000 WebSocket clients on /api/realtime, each owning a job whose progress is reported 5 000 times a second in all: delivered events/s, p50/p99 from the event in Redis to the client, and server memory, through api-gateway and straight on webhooks-svc in the same run.',
  async run(ctx) {
    const config = benchConfig();
    const database = await ownDatabase(ctx, config);
    const prefix = ownPrefix(ctx, config);
    const env = appEnv(config, database, prefix);
    const runId = randomUUID().slice(0, 8);
    // The gateway's counters of this run's users (they expire within a minute anyway).
    ctx.defer(() =>
      deleteKeysWithPrefix(
        config.BENCH_REDIS_URL,
        `conveyor:rate-limit:GET /api/realtime|rt-${runId}`,
      ),
    );

    const [servicePort, gatewayPort] = await Promise.all([freePort(), freePort()]);
    const service = await startApp(ctx, 'webhooks-svc', env, servicePort);
    const gateway = await startGateway(ctx, env, {
      port: gatewayPort,
      upstreams: { WEBHOOKS_URL: `http://127.0.0.1:${servicePort}` },
      rateLimitScale,
    });

    // One job per user on a queue no process works on: its progress reports are the events.
    const users = Array.from({ length: clients }, (_, index) => `rt-${runId}-${index}`);
    const tokens = users.map((user) => tokenFor(user, 'CREATOR'));
    const redisUrl = new URL(config.BENCH_REDIS_URL);
    const queue = new Queue(QueueName.mediaPreview, {
      connection: { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) },
      prefix,
    });
    ctx.defer(() => queue.close());
    const jobs: Job[] = await queue.addBulk(
      users.map((ownerId) => ({
        name: 'bench.progress',
        data: { ownerId },
        opts: { jobId: randomUUID() },
      })),
    );

    async function measurePath(label: string, url: string, pids: Record<string, RunningService>) {
      const connected = await connectClients(url, tokens);
      try {
        // Warm-up: owner look-ups cached, JIT compiled, before anything is counted.
        await publishProgress(jobs, eventsPerSecond, 2);
        await new Promise((resolve) => setTimeout(resolve, 500));
        const meters = Object.entries(pids).map(
          ([name, process]) => [name, ctx.memory(process.pid, 100)] as const,
        );
        connected.startMeasuring();
        const started = performance.now();
        const published = await publishProgress(jobs, eventsPerSecond, ctx.seconds(phaseSeconds));
        const seconds = (performance.now() - started) / 1000;
        // What is still in flight arrives late, and counts in the latency it really had.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const receipts = connected.stopMeasuring();
        const memory = Object.fromEntries(
          meters.map(([name, meter]) => {
            const summary = meter.stop();
            return [name, { peakMiB: summary.peakBytes / MiB, meanMiB: summary.meanBytes / MiB }];
          }),
        );
        const result: PathResult = {
          published,
          receipts,
          closedEarly: connected.closedEarly(),
          // Over the publishing time: every event published in it, wherever it arrived late.
          eventsPerSecond: receipts.received / seconds,
          memory,
        };
        ctx.log(
          `${label}: ${receipts.received}/${published} events (${Math.round(result.eventsPerSecond)}/s), p50 ${receipts.p50.toFixed(1)} ms, p99 ${receipts.p99.toFixed(1)} ms, ${result.closedEarly} sockets closed early`,
        );
        ctx.detail(label, result);
        if (result.closedEarly > 0 || receipts.received < published * 0.99) {
          throw new Error(
            `${label}: ${receipts.received} of ${published} events arrived, ${result.closedEarly} sockets were closed`,
          );
        }
        return result;
      } finally {
        await connected.close();
      }
    }

    const direct = await measurePath('direct', `ws://127.0.0.1:${servicePort}/api/realtime`, {
      'webhooks-svc': service,
    });
    const viaGateway = await measurePath('gateway', `ws://127.0.0.1:${gatewayPort}/api/realtime`, {
      'webhooks-svc': service,
      'api-gateway': gateway,
    });

    ctx.record({
      name: 'delivered events/s through the gateway',
      unit: 'events/s',
      value: viaGateway.eventsPerSecond,
      baseline: { label: 'direct', value: direct.eventsPerSecond },
      target: { min: 0.7 },
    });
    ctx.record({
      name: 'latency p50 through the gateway',
      unit: 'ms',
      value: viaGateway.receipts.p50,
      baseline: { label: 'direct', value: direct.receipts.p50 },
    });
    ctx.record({
      name: 'latency p99 through the gateway',
      unit: 'ms',
      value: viaGateway.receipts.p99,
      baseline: { label: 'direct', value: direct.receipts.p99 },
      target: { max: 50, on: 'value' },
    });
    ctx.record({
      name: 'latency p99 direct',
      unit: 'ms',
      value: direct.receipts.p99,
      target: { max: 50, on: 'value' },
    });
    ctx.record({
      name: 'webhooks-svc peak RSS (1 000 sockets, gateway path)',
      unit: 'MiB',
      value: viaGateway.memory['webhooks-svc']!.peakMiB,
      baseline: { label: 'direct path', value: direct.memory['webhooks-svc']!.peakMiB },
    });
    ctx.record({
      name: 'api-gateway peak RSS (1 000 sockets)',
      unit: 'MiB',
      value: viaGateway.memory['api-gateway']!.peakMiB,
    });
  },
});
