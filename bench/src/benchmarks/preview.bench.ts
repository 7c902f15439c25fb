import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFfmpegPaths } from '@conveyor/media/binaries';
import { buildAudioCommandLine, buildVideoCommandLine } from '@conveyor/media/clips';
import { probeMedia } from '@conveyor/media/probe';
import { generateAudio, generateVideo } from '@conveyor/media/testing';
import { QueueName, schedules } from '@conveyor/queue-contracts';
import { createProducer } from '@conveyor/queue-contracts/producer';
import { freePort } from '@conveyor/test-harness/ports';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import type { CpuReading } from '../harness/cpu.js';
import { defineBenchmark } from '../harness/definition.js';
import { residentBytes, startMemorySampler, type MemorySummary } from '../harness/memory.js';
import { percentile } from '../harness/stats.js';
import { appEnv, benchConfig, ownDatabase, ownPrefix, startApp } from '../platform.js';
import { secondsSince } from '../polling.js';
import { epochNow, spanMs, watchChildren, type ChildSpan } from '../process-children.js';

/**
 * The sources (issue 8): a 60 s 1080p video with audio and a 5 min stereo WAV, generated with
 * the media package's own test helpers (`testsrc2` + temporal noise, so the encoder has to spend
 * its whole bitrate). 30 fps, as a phone records: the preview then encodes 300 frames, as it
 * would for a real upload; the media tests use 3-5 fps only to generate quickly.
 */
const video = { seconds: 60, width: 1920, height: 1080, frameRate: 30 } as const;
const audio = { seconds: 300, channels: 2 } as const;
/**
 * Rounds per path, each a direct ffmpeg run and a job through the worker, in turn (an even count,
 * so each goes first as often); scaled by BENCH_DURATION_SCALE. The audio preview takes under a
 * second, so it gets more rounds to steady its median.
 */
const rounds = { video: 4, audio: 12 } as const;
/** The issue's target: through the worker ≤ 1.10× the same ffmpeg command run directly. */
const maxRatio = 1.1;
const jobTimeoutMs = 180_000;
const MiB = 2 ** 20;

type Kind = 'video' | 'audio';

interface DirectRun {
  ms: number;
  /** ffmpeg's own peak RSS (not the worker's), sampled every 50 ms. */
  ffmpegPeakRssBytes: number;
  outputBytes: number;
}

/** One job through the worker, split by what the worker's children and BullMQ's timestamps show. */
interface WorkerRun {
  /** From before the add to Redis until the `completed` event reached the benchmark. */
  ms: number;
  /** Enqueue → `processedOn` (the worker took the job). */
  pickupMs: number;
  /** `processedOn` → ffprobe seen (asset read, `previewLastAttempt` written, original located). */
  beforeProbeMs: number;
  probeMs: number;
  /** ffprobe gone → ffmpeg seen (probe parsed, fluent-ffmpeg's preparation and spawn). */
  betweenMs: number;
  /** ffmpeg's lifetime inside the worker. */
  ffmpegMs: number;
  /** ffmpeg gone → `finishedOn` (storage copy + fsync, asset row, progress flush, BullMQ's move). */
  afterFfmpegMs: number;
  /** `finishedOn` → the `completed` event at the benchmark. */
  notifyMs: number;
  /** Everything but ffmpeg's own lifetime. */
  overheadMs: number;
  /** CPU of the worker's Node.js process (not of its children) during the job. */
  workerCpuMs: number;
  previewBytes: number;
}

const median = (values: readonly number[]) => percentile(values, 50);
const round1 = (value: number) => Math.round(value * 10) / 10;

/** min / median / max of a list of milliseconds, and every value. */
function spread(values: readonly number[]) {
  return {
    min: round1(Math.min(...values)),
    median: round1(median(values)),
    max: round1(Math.max(...values)),
    all: values.map(round1),
  };
}

/**
 * ffmpeg with exactly the worker's arguments, from this process: spawned with piped stdio as
 * fluent-ffmpeg spawns it (ffmpeg writes its stats lines to stderr either way), timed from the
 * spawn to the exit.
 */
async function runFfmpegDirectly(
  ffmpegPath: string,
  args: readonly string[],
  output: string,
): Promise<DirectRun> {
  await rm(output, { force: true });
  const watcher = watchChildren(process.pid);
  const startedAt = performance.now();
  const child = spawn(ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const memory = startMemorySampler(child.pid!, 50);
  let stderr = '';
  child.stdout.resume();
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const ms = performance.now() - startedAt;
  const rss = memory.stop();
  watcher.stop();
  if (code !== 0) throw new Error(`ffmpeg exited with ${code}:\n${stderr}`);
  return { ms, ffmpegPeakRssBytes: rss.peakBytes, outputBytes: (await stat(output)).size };
}

/** The span of the first child named `name` (`ffprobe`, `ffmpeg`); a job runs one of each. */
function childNamed(spans: readonly ChildSpan[], name: string): ChildSpan {
  const span = spans.find((candidate) => candidate.name === name);
  if (!span) {
    throw new Error(
      `the worker ran no ${name} during the job (saw: ${spans.map((s) => s.name).join(', ') || 'nothing'})`,
    );
  }
  return span;
}

function summarizeWorkerRuns(runs: readonly WorkerRun[]) {
  const pick = (key: keyof WorkerRun) => spread(runs.map((run) => run[key]));
  return {
    totalMs: pick('ms'),
    pickupMs: pick('pickupMs'),
    beforeProbeMs: pick('beforeProbeMs'),
    probeMs: pick('probeMs'),
    betweenProbeAndFfmpegMs: pick('betweenMs'),
    ffmpegMs: pick('ffmpegMs'),
    afterFfmpegMs: pick('afterFfmpegMs'),
    notifyMs: pick('notifyMs'),
    overheadMs: pick('overheadMs'),
    workerCpuMs: pick('workerCpuMs'),
    previewBytes: runs.map((run) => run.previewBytes),
  };
}

export default defineBenchmark({
  name: 'preview',
  description:
    'Previews of a 60 s 1080p video and of a 5 min WAV through preview-worker (job enqueued to completed event), against the same ffmpeg command run directly in the same run, in turn.',
  async run(ctx) {
    const config = benchConfig();
    const database = await ownDatabase(ctx, config);
    const prefix = ownPrefix(ctx, config);
    const env = appEnv(config, database, prefix);
    const sql = postgres(database.url, { max: 2, onnotice: () => undefined });
    ctx.defer(() => sql.end({ timeout: 5 }));
    const ffmpeg = resolveFfmpegPaths(config);

    const base = await mkdtemp(join(tmpdir(), 'bench-preview-'));
    ctx.defer(() => rm(base, { recursive: true, force: true }));
    // One filesystem for everything, as in the worker: originals and previews under MEDIA_ROOT,
    // its renders under PREVIEW_TMP_DIR, the direct runs' outputs beside them.
    const mediaRoot = join(base, 'media');
    const workerTmp = join(base, 'tmp');
    const directDir = join(base, 'direct');
    const ownerId = `bench-preview-${randomUUID().slice(0, 8)}`;
    const keys = {
      video: `originals/${ownerId}/video-60s-1080p.mp4`,
      audio: `originals/${ownerId}/audio-5min.wav`,
    } as const;
    await Promise.all(
      [join(mediaRoot, 'originals', ownerId), workerTmp, directDir].map((dir) =>
        mkdir(dir, { recursive: true }),
      ),
    );
    const sourcePath = (kind: Kind) => join(mediaRoot, ...keys[kind].split('/'));

    // The sources, while the worker starts (neither is measured).
    const workerPort = await freePort();
    const generation = (async () => {
      const startedAt = performance.now();
      await generateAudio(sourcePath('audio'), {
        ffmpegPath: ffmpeg.ffmpegPath,
        seconds: audio.seconds,
        channels: audio.channels,
        format: 'wav',
      });
      await generateVideo(sourcePath('video'), {
        ffmpegPath: ffmpeg.ffmpegPath,
        seconds: video.seconds,
        width: video.width,
        height: video.height,
        audio: true,
        frameRate: video.frameRate,
      });
      return secondsSince(startedAt);
    })();
    const [generationSeconds, worker] = await Promise.all([
      generation,
      startApp(
        ctx,
        'preview-worker',
        {
          ...env,
          MEDIA_ROOT: mediaRoot,
          MEDIA_PUBLIC_BASE_URL: 'http://127.0.0.1:3000/media',
          FFMPEG_PATH: ffmpeg.ffmpegPath,
          FFPROBE_PATH: ffmpeg.ffprobePath,
          // One job at a time, as the direct run is one ffmpeg at a time.
          PREVIEW_CONCURRENCY: '1',
          PREVIEW_TMP_DIR: workerTmp,
        },
        workerPort,
      ),
    ]);
    ctx.log(`sources generated in ${generationSeconds.toFixed(1)} s`);
    const idleRssBytes = residentBytes(worker.pid);

    const probes = {
      video: await probeMedia(sourcePath('video'), { ffprobePath: ffmpeg.ffprobePath }),
      audio: await probeMedia(sourcePath('audio'), { ffprobePath: ffmpeg.ffprobePath }),
    };
    const directOutput = {
      video: join(directDir, 'preview.mp4'),
      audio: join(directDir, 'preview.mp3'),
    };
    // The worker's own argument lists (what renderVideoPreview / renderAudioPreview give
    // fluent-ffmpeg), with the same input and an output of this benchmark's own.
    const args = {
      video: buildVideoCommandLine({
        input: sourcePath('video'),
        output: directOutput.video,
        probe: probes.video,
      }),
      audio: buildAudioCommandLine({
        input: sourcePath('audio'),
        output: directOutput.audio,
        probe: probes.audio,
      }),
    };

    await sql`insert into users (id, role) values (${ownerId}, 'CREATOR')`;
    const assetIds = {} as Record<Kind, string>;
    for (const kind of ['video', 'audio'] as const) {
      const { size } = await stat(sourcePath(kind));
      // Eligible (scan CLEAN, thumbnail DONE) and already claimed just now, so the sweep (whose
      // schedule is removed below anyway) would leave them to the benchmark's own jobs.
      const [row] = await sql<{ id: string }[]>`
        insert into assets (owner_id, type, title, storage_key, mime_type, size_bytes,
          scan_status, thumbnail_status, preview_requested_version, preview_requested_at)
        values (${ownerId}, ${kind === 'video' ? 'VIDEO' : 'AUDIO'}, ${`bench ${kind}`},
          ${keys[kind]}, ${kind === 'video' ? 'video/mp4' : 'audio/wav'}, ${size},
          'CLEAN', 'DONE', 1, now())
        returning id`;
      assetIds[kind] = row!.id;
    }

    // BullMQ never closes a connection it was given: closed here, or the process never exits.
    const producerConnection = new Redis(config.BENCH_REDIS_URL, { maxRetriesPerRequest: 1 });
    const producer = createProducer({
      connection: producerConnection,
      prefix,
      open: [QueueName.mediaPreview],
    });
    ctx.defer(async () => {
      await producer.close();
      producerConnection.disconnect();
    });
    const eventsConnection = new Redis(config.BENCH_REDIS_URL, { maxRetriesPerRequest: null });
    const queueEvents = new QueueEvents(QueueName.mediaPreview, {
      connection: eventsConnection,
      prefix,
    });
    ctx.defer(async () => {
      await queueEvents.close();
      eventsConnection.disconnect();
    });
    await queueEvents.waitUntilReady();
    const queue = producer.queue(QueueName.mediaPreview);
    // The worker upserts the 5-minute sweep at start; a sweep landing inside a round would take
    // the one slot for a moment. It would find nothing (the assets are claimed), so it goes.
    await queue.removeJobScheduler(schedules.assetPreviewSweep.id);

    const direct = (kind: Kind) =>
      runFfmpegDirectly(ffmpeg.ffmpegPath, args[kind], directOutput[kind]);

    const throughWorker = async (kind: Kind, label: string): Promise<WorkerRun> => {
      const assetId = assetIds[kind];
      // A first preview each time: no preview on the row, no file in storage.
      await sql`
        update assets set preview_url = null, preview_key = null, metadata = null
        where id = ${assetId}`;
      await rm(join(mediaRoot, 'previews', assetId), { recursive: true, force: true });
      const children = watchChildren(worker.pid);
      const cpu = ctx.cpu(worker.pid);
      const enqueuedAt = epochNow();
      const startedAt = performance.now();
      // attempts: 1, so a failure fails the benchmark at once instead of hiding in a backoff.
      const job = await producer.enqueue(
        'asset.preview',
        { assetId, ownerId },
        { jobId: `bench-${label}-${randomUUID()}`, attempts: 1 },
      );
      await job.waitUntilFinished(queueEvents, jobTimeoutMs);
      const ms = performance.now() - startedAt;
      const doneAt = epochNow();
      const workerCpu: CpuReading = cpu.stop();
      const spans = children.stop();
      const finished = await queue.getJob(job.id!);
      const processedOn = finished?.processedOn;
      const finishedOn = finished?.finishedOn;
      if (processedOn === undefined || finishedOn === undefined) {
        throw new Error(`job ${job.id} has no processedOn/finishedOn`);
      }
      const [asset] = await sql<{ preview_url: string | null; size: number | null }[]>`
        select preview_url, (metadata->>'previewSize')::int as size from assets where id = ${assetId}`;
      if (!asset?.preview_url || !asset.size) {
        throw new Error(`the ${kind} asset has no preview after its job`);
      }
      const probe = childNamed(spans, 'ffprobe');
      const render = childNamed(spans, 'ffmpeg');
      const ffmpegMs = spanMs(render);
      return {
        ms,
        pickupMs: processedOn - enqueuedAt,
        beforeProbeMs: probe.firstSeenMs - processedOn,
        probeMs: spanMs(probe),
        betweenMs: render.firstSeenMs - (probe.endMs ?? probe.lastSeenMs),
        ffmpegMs,
        afterFfmpegMs: finishedOn - (render.endMs ?? render.lastSeenMs),
        notifyMs: doneAt - finishedOn,
        overheadMs: ms - ffmpegMs,
        workerCpuMs: workerCpu.micros / 1_000,
        previewBytes: asset.size,
      };
    };

    // Warm-up, unmeasured: the worker's first job pays for fluent-ffmpeg's capability checks
    // (ffmpeg -formats, -encoders …, cached after), its database pool and JIT; the direct path
    // gets the same first run, and both get the sources into the page cache.
    const warmUp = {
      direct: await direct('audio'),
      worker: await throughWorker('audio', 'warm-up'),
    };
    ctx.log(
      `warm-up: audio direct ${Math.round(warmUp.direct.ms)} ms, through the worker ${Math.round(warmUp.worker.ms)} ms`,
    );

    const measure = async (kind: Kind) => {
      const count = ctx.seconds(rounds[kind]);
      const directRuns: DirectRun[] = [];
      const workerRuns: WorkerRun[] = [];
      const memory = startMemorySampler(worker.pid, 50);
      for (let index = 0; index < count; index++) {
        // In turn, and each path first every other round, so drift and noise fall on both.
        const runDirect = async () => directRuns.push(await direct(kind));
        const runWorker = async () =>
          workerRuns.push(await throughWorker(kind, `${kind}-${index}`));
        if (index % 2 === 0) {
          await runDirect();
          await runWorker();
        } else {
          await runWorker();
          await runDirect();
        }
        ctx.log(
          `${kind} round ${index + 1}/${count}: direct ${Math.round(directRuns.at(-1)!.ms)} ms, through the worker ${Math.round(workerRuns.at(-1)!.ms)} ms (its ffmpeg ${Math.round(workerRuns.at(-1)!.ffmpegMs)} ms)`,
        );
      }
      return { directRuns, workerRuns, memory: memory.stop() };
    };

    const results = { video: await measure('video'), audio: await measure('audio') };

    const peak = (memories: readonly MemorySummary[]) =>
      Math.max(...memories.map((memory) => memory.peakBytes));
    const workerPeakRss = peak([results.video.memory, results.audio.memory]);
    const labels = { video: '60 s 1080p video → 10 s 720p MP4', audio: '5 min WAV → 30 s MP3' };

    ctx.detail('preview', {
      sources: {
        video: { ...video, bytes: (await stat(sourcePath('video'))).size, probe: probes.video },
        audio: { ...audio, bytes: (await stat(sourcePath('audio'))).size, probe: probes.audio },
        generationSeconds: round1(generationSeconds),
      },
      ffmpeg: { ...ffmpeg, videoArgs: args.video, audioArgs: args.audio },
      workerEnv: { PREVIEW_CONCURRENCY: 1 },
      warmUp: { directMs: round1(warmUp.direct.ms), workerMs: round1(warmUp.worker.ms) },
      workerRss: {
        idleMiB: round1(idleRssBytes / MiB),
        video: results.video.memory,
        audio: results.audio.memory,
      },
      ...Object.fromEntries(
        (['video', 'audio'] as const).map((kind) => [
          kind,
          {
            rounds: results[kind].directRuns.length,
            directMs: spread(results[kind].directRuns.map((run) => run.ms)),
            directOutputBytes: results[kind].directRuns.map((run) => run.outputBytes),
            ffmpegPeakRssMiB: round1(
              Math.max(...results[kind].directRuns.map((run) => run.ffmpegPeakRssBytes)) / MiB,
            ),
            worker: summarizeWorkerRuns(results[kind].workerRuns),
          },
        ]),
      ),
    });

    for (const kind of ['video', 'audio'] as const) {
      const { directRuns, workerRuns } = results[kind];
      const directMedian = median(directRuns.map((run) => run.ms)) / 1000;
      const workerMedian = median(workerRuns.map((run) => run.ms)) / 1000;
      ctx.record({
        name: `${labels[kind]}: through the worker (median of ${workerRuns.length})`,
        unit: 's',
        value: workerMedian,
        baseline: { label: 'the same ffmpeg command directly (median)', value: directMedian },
        target: { max: maxRatio },
      });
      ctx.record({
        name: `${labels[kind]}: through the worker, slowest round`,
        unit: 's',
        value: Math.max(...workerRuns.map((run) => run.ms)) / 1000,
        baseline: {
          label: 'slowest direct round',
          value: Math.max(...directRuns.map((run) => run.ms)) / 1000,
        },
      });
      ctx.record({
        name: `${labels[kind]}: worker time outside ffmpeg (median)`,
        unit: 'ms',
        value: median(workerRuns.map((run) => run.overheadMs)),
      });
      ctx.record({
        name: `${labels[kind]}: worker Node.js CPU per preview (median)`,
        unit: 'ms',
        value: median(workerRuns.map((run) => run.workerCpuMs)),
      });
    }
    ctx.record({
      name: 'preview-worker peak RSS (its Node.js process, without ffmpeg)',
      unit: 'MiB',
      value: workerPeakRss / MiB,
    });
    ctx.record({
      name: 'ffmpeg peak RSS (video preview, direct run, for context)',
      unit: 'MiB',
      value: Math.max(...results.video.directRuns.map((run) => run.ffmpegPeakRssBytes)) / MiB,
    });
  },
});
