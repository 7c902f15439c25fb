import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs `fn` with a fresh directory under `parent` whose name starts with `prefix`, and removes
 * it (recursively) afterwards whatever happens: on success, on a throw, on an abort.
 * @param parent - @defaultValue `os.tmpdir()`
 */
export async function withTempDir<T>(
  prefix: string,
  fn: (dir: string) => Promise<T>,
  parent: string = tmpdir(),
): Promise<T> {
  const dir = await mkdtemp(join(parent, prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}
