import { startEntryPoint, type RunningProcess } from '@conveyor/test-harness/processes';

export interface ServiceOptions {
  /** A TypeScript entry point, absolute or relative to `cwd`. */
  entry: string;
  env?: Record<string, string>;
  cwd?: string;
  /** A URL that answers 2xx once the process is ready to take load (e.g. its `/readyz`). */
  readyUrl: string;
  /** @defaultValue 30000 */
  readyTimeoutMs?: number;
  /** Extra Node.js flags, e.g. `--cpu-prof`. */
  nodeArgs?: readonly string[];
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

export interface RunningService extends RunningProcess {
  pid: number;
}

/**
 * Starts a workspace entry point as its own process, resolving workspace packages from
 * source as `pnpm dev` does, and waits until `readyUrl` answers 2xx. A process that exits
 * or never gets ready fails with what it printed.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const running = startEntryPoint(options.entry, options.env ?? {}, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.nodeArgs === undefined ? {} : { nodeArgs: options.nodeArgs }),
  });
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const { exitCode, signalCode } = running.child;
      if (exitCode !== null || signalCode !== null)
        throw new Error(`exited with ${signalCode ?? `code ${exitCode}`}`);
      if (await answers(options.readyUrl)) break;
      if (Date.now() > deadline)
        throw new Error(`no 2xx from ${options.readyUrl} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await running.stop(1_000);
    throw new Error(
      `${options.entry} did not get ready (${(error as Error).message}):\n${running.output()}`,
      { cause: error },
    );
  }
  return Object.assign(running, { pid: running.child.pid! });
}
