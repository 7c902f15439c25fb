import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { freePort, waitUntil } from './ports.js';

/**
 * Private Redis and PostgreSQL servers for tests that stop their dependency. They listen on
 * free ports of their own, so the shared servers on 6379 and 5432 are never touched.
 */
export interface PrivateServer {
  url: string;
  port: number;
  /** Stops the server abruptly, as a crash or an outage would. */
  stop: () => Promise<void>;
  /** Starts it again on the same port. */
  start: () => Promise<void>;
  /** Stops it for good and removes its files. */
  destroy: () => Promise<void>;
}

async function killAndWait(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

export async function startPrivateRedis(): Promise<PrivateServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitUntil(
      async () => {
        const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
        probe.on('error', () => undefined);
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } finally {
          probe.disconnect();
        }
      },
      { what: `redis-server on ${port}` },
    );
  };
  await start();
  const stop = () => killAndWait(child);
  return { url, port, start, stop, destroy: stop };
}

/** Runs a PostgreSQL binary as the `postgres` user when we are root, as PostgreSQL insists. */
function asPostgresUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, args];
}

function postgresBinary(name: string): string {
  const found = spawnSync(
    'sh',
    ['-c', `command -v ${name} || ls /usr/lib/postgresql/*/bin/${name}`],
    {
      encoding: 'utf8',
    },
  );
  const path = found.stdout.trim().split('\n')[0];
  if (!path) throw new Error(`${name} not found: install the PostgreSQL server binaries`);
  return path;
}

export async function startPrivatePostgres(): Promise<PrivateServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'conveyor-pg-'));
  if (process.getuid?.() === 0) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim();
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim();
    chownSync(dataDir, Number(ids), Number(gid));
  }
  const [initCommand, initArgs] = asPostgresUser(postgresBinary('initdb'), [
    '-D',
    dataDir,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  const init = spawnSync(initCommand, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;
  const start = async () => {
    const [command, args] = asPostgresUser(postgresBinary('postgres'), [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      dataDir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ]);
    child = spawn(command, args, { stdio: 'ignore' });
    await waitUntil(
      async () => {
        const sql = postgres(url, { max: 1, connect_timeout: 1, onnotice: () => undefined });
        try {
          await sql`select 1`;
          return true;
        } finally {
          await sql.end({ timeout: 1 });
        }
      },
      { what: `postgres on ${port}`, timeoutMs: 20_000 },
    );
  };
  await start();
  // runuser forwards SIGKILL to nothing, so the server is stopped by its own postmaster pid.
  const stop = async () => {
    const [command, args] = asPostgresUser(postgresBinary('pg_ctl'), [
      '-D',
      dataDir,
      '-m',
      'immediate',
      'stop',
    ]);
    spawnSync(command, args, { stdio: 'ignore' });
    await killAndWait(child);
  };
  return {
    url,
    port,
    start,
    stop,
    destroy: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
