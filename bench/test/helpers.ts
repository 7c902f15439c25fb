import { spawn, type ChildProcess } from 'node:child_process';

/** A plain Node.js child running `script`, for the meters to watch; killed by `stop`. */
export function startNodeChild(script: string): {
  child: ChildProcess;
  pid: number;
  stop: () => Promise<void>;
} {
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
