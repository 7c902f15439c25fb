import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { abortError } from './errors.js';

export interface MediaStorage {
  /**
   * A local file holding the object, for ffmpeg to read; call `release()` when done (a remote
   * driver would delete its download; the local driver's is a no-op). Rejects for a missing
   * object or an unsafe key.
   */
  read(key: string, signal?: AbortSignal): Promise<{ path: string; release(): Promise<void> }>;
  /**
   * Stores a local file under `key` atomically (copy to a temp name in the same directory,
   * fsync, rename), creating directories. Returns its size.
   */
  write(key: string, fromPath: string, contentType: string): Promise<{ size: number }>;
  /** Removes the object; a missing object is not an error. */
  remove(key: string): Promise<void>;
  /** `publicBaseUrl + '/' +` the key's segments URL-encoded. */
  urlOf(key: string): string;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Keys are relative POSIX paths of `[A-Za-z0-9._-]` segments: no `..`, `.`, empty segments,
 * absolute paths or backslashes.
 */
export function isSafeKey(key: string): boolean {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) return false;
  return key
    .split('/')
    .every((segment) => SEGMENT.test(segment) && segment !== '.' && segment !== '..');
}

function assertSafeKey(key: string): void {
  if (!isSafeKey(key)) throw new Error(`unsafe storage key: ${JSON.stringify(key)}`);
}

export interface LocalDiskStorageOptions {
  /** Directory the objects live under; created on the first write. */
  root: string;
  /** Where the root is served, e.g. `http://localhost:3000/media` (a trailing slash is ignored). */
  publicBaseUrl: string;
}

/** The default driver: objects are files under `root`, served read-only at `publicBaseUrl`. */
export function createLocalDiskStorage(options: LocalDiskStorageOptions): MediaStorage {
  const root = resolve(options.root);
  const base = options.publicBaseUrl.replace(/\/+$/, '');

  const pathOf = (key: string): string => {
    assertSafeKey(key);
    const path = join(root, ...key.split('/'));
    // Belt and braces: the key check already rules out every way out of the root.
    if (!path.startsWith(root + sep)) throw new Error(`unsafe storage key: ${JSON.stringify(key)}`);
    return path;
  };

  return {
    async read(key, signal) {
      if (signal?.aborted) throw abortError(signal);
      const path = pathOf(key);
      const info = await stat(path);
      if (!info.isFile()) throw new Error(`storage object ${JSON.stringify(key)} is not a file`);
      return { path, release: async () => {} };
    },

    async write(key, fromPath, _contentType) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      // Same directory, so the rename is atomic: a reader sees the old file or the whole new one.
      const temp = join(dirname(path), `.${randomUUID()}.partial`);
      try {
        await copyFile(fromPath, temp, constants.COPYFILE_FICLONE);
        const handle = await open(temp, 'r+');
        let size: number;
        try {
          await handle.sync();
          size = (await handle.stat()).size;
        } finally {
          await handle.close();
        }
        await rename(temp, path);
        await syncDirectory(dirname(path));
        return { size };
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },

    async remove(key) {
      await rm(pathOf(key), { force: true });
    },

    urlOf(key) {
      assertSafeKey(key);
      return `${base}/${key.split('/').map(encodeURIComponent).join('/')}`;
    },
  };
}

/** fsync of the directory makes the rename itself durable; not every platform allows it. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open a directory for fsync; the rename is still atomic.
  }
}
