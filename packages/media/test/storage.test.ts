import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalDiskStorage, isSafeKey, type MediaStorage } from '../src/storage.js';
import { withTempDir } from '../src/temp.js';

describe('isSafeKey', () => {
  it.each([
    '../x',
    '/x',
    'a//b',
    'a\\b',
    '.',
    'a/./b',
    'a/../b',
    '..',
    '',
    'a/',
    'a b',
    'é.mp4',
    'a/%2e%2e',
  ])('refuses %j', (key) => expect(isSafeKey(key)).toBe(false));

  it.each(['previews/asset-1/v2.mp4', 'a', 'A_b-c.d/e.f', '.hidden'])('accepts %j', (key) => {
    expect(isSafeKey(key)).toBe(true);
  });
});

describe('createLocalDiskStorage', () => {
  let dir: string;
  let root: string;
  let storage: MediaStorage;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'media-storage-'));
    root = join(dir, 'root');
    storage = createLocalDiskStorage({ root, publicBaseUrl: 'http://localhost:3000/media/' });
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes atomically under the key, creating directories, and returns the size', async () => {
    const from = join(dir, 'in.bin');
    await writeFile(from, Buffer.alloc(12_345, 7));
    await expect(storage.write('previews/a1/clip.mp4', from, 'video/mp4')).resolves.toEqual({
      size: 12_345,
    });
    expect((await stat(join(root, 'previews/a1/clip.mp4'))).size).toBe(12_345);
    // No temporary file is left beside it.
    expect(await readdir(join(root, 'previews/a1'))).toEqual(['clip.mp4']);

    await writeFile(from, 'replaced');
    await expect(storage.write('previews/a1/clip.mp4', from, 'video/mp4')).resolves.toEqual({
      size: 8,
    });
    const object = await storage.read('previews/a1/clip.mp4');
    expect(await readFile(object.path, 'utf8')).toBe('replaced');
    await object.release();
  });

  it('leaves no file behind when the source cannot be copied', async () => {
    await expect(storage.write('x/y.mp4', join(dir, 'missing'), 'video/mp4')).rejects.toThrow();
    expect(await readdir(join(root, 'x'))).toEqual([]);
  });

  it('rejects a read of a missing key or of an unsafe key', async () => {
    await expect(storage.read('nothing/here.mp4')).rejects.toThrow();
    await expect(storage.read('../escape')).rejects.toThrow(/unsafe/);
    await expect(storage.write('/etc/passwd', join(dir, 'x'), 'text/plain')).rejects.toThrow(
      /unsafe/,
    );
  });

  it('removes objects, and a missing one is not an error', async () => {
    const from = join(dir, 'in.bin');
    await writeFile(from, 'x');
    await storage.write('a/b.mp3', from, 'audio/mpeg');
    await storage.remove('a/b.mp3');
    await expect(storage.read('a/b.mp3')).rejects.toThrow();
    await expect(storage.remove('a/b.mp3')).resolves.toBeUndefined();
  });

  it('builds URLs from the public base URL with encoded segments', () => {
    expect(storage.urlOf('previews/a1/clip.mp4')).toBe(
      'http://localhost:3000/media/previews/a1/clip.mp4',
    );
    expect(() => storage.urlOf('../x')).toThrow(/unsafe/);
  });
});

describe('withTempDir', () => {
  it('removes the directory after success', async () => {
    let seen = '';
    const result = await withTempDir('media-temp-', async (temp) => {
      seen = temp;
      await writeFile(join(temp, 'f'), 'x');
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toContain('media-temp-');
    await expect(stat(seen)).rejects.toThrow();
  });

  it('removes the directory after a throw, and rethrows', async () => {
    let seen = '';
    await expect(
      withTempDir('media-temp-', async (temp) => {
        seen = temp;
        await writeFile(join(temp, 'f'), 'x');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(stat(seen)).rejects.toThrow();
  });

  it('creates the directory under the given parent', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'media-parent-'));
    try {
      await withTempDir(
        'p-',
        async (temp) => expect(temp.startsWith(join(parent, 'p-'))).toBe(true),
        parent,
      );
      expect(await readdir(parent)).toEqual([]);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
