import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildSpec {
  name: string;
  cwd: string;
  /** The whole environment of the child. */
  env: Record<string, string | undefined>;
  /** Arguments to node. */
  args: string[];
  onLine: (line: string) => void;
}

export interface SupervisedChild {
  name: string;
  child: ChildProcess;
  /** Resolves when the process has exited, with its code or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The arguments that run a TypeScript entry point of the workspace from source, as the apps' own `dev` does. */
export const sourceEntryArgs = (entry: string): string[] => [
  '--conditions=@conveyor/source',
  '--import',
  'tsx',
  entry,
];

/**
 * Starts an app as a child process in a process group of its own: a Ctrl-C in the terminal
 * reaches only `pnpm dev`, which then stops the apps once, in order, with a deadline, instead
 * of every app hearing SIGINT and the supervisor's SIGTERM on top.
 */
export function startChild(spec: ChildSpec): SupervisedChild {
  const child = spawn(process.execPath, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', spec.onLine);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A spawn that fails (no such binary) emits 'error' and never 'exit'.
    child.once('error', (error) => {
      spec.onLine(`failed to start: ${error.message}`);
      resolve({ code: 127, signal: null });
    });
  });
  return { name: spec.name, child, exited };
}

const isRunning = (child: ChildProcess): boolean =>
  child.exitCode === null && child.signalCode === null;

/** Sends `signal` to the child's whole process group, so anything it started goes too. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || !isRunning(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Stops every child: SIGTERM to all at once, then SIGKILL to whatever still runs after
 * `deadlineMs`. Resolves with each child's exit.
 */
export async function stopChildren(
  children: readonly SupervisedChild[],
  deadlineMs: number,
  onKill?: (name: string) => void,
): Promise<Array<{ name: string; code: number | null; signal: NodeJS.Signals | null }>> {
  for (const { child } of children) signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => {
    for (const { name, child } of children) {
      if (!isRunning(child)) continue;
      onKill?.(name);
      signalGroup(child, 'SIGKILL');
    }
  }, deadlineMs);
  try {
    return await Promise.all(
      children.map(async ({ name, exited }) => ({ name, ...(await exited) })),
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Last resort when the supervisor itself exits abruptly: no app outlives it. */
export function killAllNow(children: readonly SupervisedChild[]): void {
  for (const { child } of children) signalGroup(child, 'SIGKILL');
}
