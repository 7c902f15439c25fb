import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { deleteKeysWithPrefix, testPrefix } from '@conveyor/test-harness/redis';
import { freePort, waitUntil } from '@conveyor/test-harness/ports';
import postgres from 'postgres';
import { appPort, discoverApps, type AppDefinition } from '../../src/apps.js';
import { defaultAppsDir, inheritedEnvironment } from '../../src/config.js';
import { isListening } from '../../src/ports.js';
import { sourceEntryArgs } from '../../src/supervisor.js';
import { devEntry, packageDir } from './entry-points.js';

// The real system, started by the real `pnpm dev` entry point, beside whatever a developer runs:
// every port moved by a free offset, a database and a BullMQ prefix of its own.

export const redisUrl = 'redis://127.0.0.1:6379';
const serverUrl = 'postgres://postgres@127.0.0.1:5432/postgres';

/** What `pnpm dev` prints once every app is ready. */
const banner = 'Conveyor is running.';

export interface RunningSystem {
  /** Every app `pnpm dev` started, gateway first. */
  apps: AppDefinition[];
  /** Added to every app's port. */
  offset: number;
  gatewayUrl: string;
  /** The mail catcher's page; its messages are at `${mailUrl}/messages`. */
  mailUrl: string;
  databaseName: string;
  bullPrefix: string;
  /** Everything `pnpm dev` printed so far, stdout and stderr. */
  output: () => string;
  /** Resolves with `pnpm dev`'s exit code once it has exited. */
  exited: Promise<number | null>;
  /** Whether `pnpm dev` still runs. */
  running: () => boolean;
  /** Sends `signal` to `pnpm dev` (the Ctrl-C of a terminal is SIGINT) and awaits its exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  /** Stops the system if it still runs, then drops its database and deletes its BullMQ keys. */
  dispose: () => Promise<void>;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** An offset under which every app's port is free right now. */
async function freePortOffset(apps: readonly AppDefinition[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below the ephemeral range (32768+), so no outgoing connection takes one of them meanwhile.
    const offset = 10_000 + Math.floor(Math.random() * 19_000);
    const free = await Promise.all(apps.map((app) => canBind(app.port + offset)));
    if (free.every(Boolean)) return offset;
  }
  throw new Error('no free port offset found for the apps');
}

async function dropDatabase(name: string): Promise<void> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin`drop database if exists ${admin(name)} with (force)`;
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/**
 * Starts the whole system through `src/dev.ts`, as `pnpm dev` does, and resolves once its banner
 * is out. `env` is laid over the system's own variables (e.g. `READY_TIMEOUT_MS`). When it does
 * not come up, the error carries what it printed, and nothing is left running.
 */
export async function startSystem(
  env: Record<string, string> = {},
  { timeoutMs = 75_000 } = {},
): Promise<RunningSystem> {
  const apps = await discoverApps(defaultAppsDir);
  const offset = await freePortOffset(apps);
  const gateway = apps.find((app) => app.kind === 'gateway');
  if (!gateway) throw new Error(`no gateway app in ${defaultAppsDir}`);
  const mailPort = await freePort();
  const databaseName = `conveyor_e2e_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const bullPrefix = testPrefix();

  const dev = spawn(process.execPath, sourceEntryArgs(devEntry), {
    cwd: packageDir,
    env: {
      ...inheritedEnvironment(),
      PORT_OFFSET: String(offset),
      REDIS_URL: redisUrl,
      DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${databaseName}`,
      SMTP_URL: `smtp://127.0.0.1:${await freePort()}`,
      MAIL_CATCHER_HTTP_PORT: String(mailPort),
      BULL_PREFIX: bullPrefix,
      DEV_LOG_FORMAT: 'raw',
      READY_TIMEOUT_MS: '60000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  dev.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  dev.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
  const running = () => dev.exitCode === null && dev.signalCode === null;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (running()) dev.kill(signal);
    return exited;
  };
  const dispose = async () => {
    await stop();
    await dropDatabase(databaseName);
    await deleteKeysWithPrefix(redisUrl, bullPrefix);
  };

  try {
    await waitUntil(() => output.includes(banner) || !running(), {
      timeoutMs,
      intervalMs: 100,
      what: 'the pnpm dev banner',
    });
    if (!running()) throw new Error(`pnpm dev exited with ${dev.exitCode ?? dev.signalCode}`);
  } catch (error) {
    await dispose();
    throw new Error(`${(error as Error).message}\n--- pnpm dev printed ---\n${output}`, {
      cause: error,
    });
  }

  return {
    apps,
    offset,
    gatewayUrl: `http://127.0.0.1:${appPort(gateway, { portOffset: offset })}`,
    mailUrl: `http://127.0.0.1:${mailPort}`,
    databaseName,
    bullPrefix,
    output: () => output,
    exited,
    running,
    stop,
    dispose,
  };
}

/** The apps, and the mail catcher, that still accept connections on the system's ports. */
export async function stillListening(system: RunningSystem): Promise<string[]> {
  const endpoints = [
    ...system.apps.map((app) => ({
      name: app.name,
      port: appPort(app, { portOffset: system.offset }),
    })),
    { name: 'mail catcher', port: Number(new URL(system.mailUrl).port) },
  ];
  const open = await Promise.all(endpoints.map(({ port }) => isListening('127.0.0.1', port)));
  return endpoints.filter((_, index) => open[index]).map(({ name }) => name);
}
