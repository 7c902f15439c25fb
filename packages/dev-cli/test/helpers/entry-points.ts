import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inheritedEnvironment } from '../../src/config.js';
import { sourceEntryArgs } from '../../src/supervisor.js';

/** The package's folder, which `pnpm dev` and `pnpm token` run in. */
export const packageDir = fileURLToPath(new URL('../..', import.meta.url));
export const devEntry = 'src/dev.ts';
export const tokenEntry = 'src/token.ts';

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an entry point of this package the way its package.json script does, to the end. */
export function runToEnd(
  entry: string,
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...sourceEntryArgs(entry), ...args], {
      cwd: packageDir,
      env: { ...inheritedEnvironment(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${entry} ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${stdout}${stderr}`,
        ),
      );
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last non-empty line of a command's output: where `pnpm token` prints the token. */
export const lastLine = (text: string): string => text.trim().split('\n').at(-1) ?? '';

/**
 * A development token from the real `pnpm run token`, as a developer gets one:
 * `pnpm -s run token --sub <sub> --role <role> | tail -n 1`.
 */
export async function devToken(
  sub: string,
  role: 'ADMIN' | 'CREATOR' | 'BRAND' | 'VIEWER',
  extraArgs: readonly string[] = [],
): Promise<string> {
  const args = ['--sub', sub, '--role', role, ...extraArgs];
  const result = await runToEnd(tokenEntry, args);
  if (result.code !== 0) {
    throw new Error(
      `pnpm run token ${args.join(' ')} exited with ${result.code}:\n${result.stderr}`,
    );
  }
  return lastLine(result.stdout);
}
