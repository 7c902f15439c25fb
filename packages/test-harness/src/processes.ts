import { spawn, type ChildProcess } from 'node:child_process';

export interface RunningProcess {
  child: ChildProcess;
  /** Everything the process printed so far, for assertions and for failure messages. */
  output: () => string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop: (graceMs?: number) => Promise<number | null>;
}

/**
 * Starts a TypeScript entry point of this workspace as its own Node.js process, resolving the
 * workspace packages from source exactly as `pnpm dev` does.
 */
export function startEntryPoint(
  entry: string,
  env: Record<string, string>,
  options: { cwd?: string; nodeArgs?: readonly string[] } = {},
): RunningProcess {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--conditions=@conveyor/source', '--import', 'tsx', entry],
    {
      cwd: options.cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let printed = '';
  child.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    child,
    output: () => printed,
    stop: async (graceMs = 5_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
