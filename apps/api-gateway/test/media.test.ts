import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type TestGateway } from './helpers/gateway.js';

let dir: string;
let gateway: TestGateway;
const preview = Buffer.from('0123456789abcdef');
const secret = 'outside the media root';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gateway-media-'));
  const root = join(dir, 'media');
  await mkdir(join(root, 'previews', 'asset-1'), { recursive: true });
  await writeFile(join(root, 'previews', 'asset-1', 'v1.mp4'), preview);
  await writeFile(join(root, '.hidden'), secret);
  await writeFile(join(dir, 'outside.txt'), secret);
  gateway = await buildGateway({ env: { MEDIA_SERVE_ROOT: root } });
});
afterAll(async () => {
  await gateway.close();
  await rm(dir, { recursive: true, force: true });
});

const get = (url: string, headers: Record<string, string> = {}) =>
  gateway.app.inject({ method: 'GET', url, headers });

describe('GET /media/* (MEDIA_SERVE_ROOT, development)', () => {
  it('serves a preview with its type, and a byte range for seeking', async () => {
    const whole = await get('/media/previews/asset-1/v1.mp4');
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['content-type']).toBe('video/mp4');
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(whole.rawPayload).toEqual(preview);

    const range = await get('/media/previews/asset-1/v1.mp4', { range: 'bytes=2-5' });
    expect(range.statusCode).toBe(206);
    expect(range.headers['content-range']).toBe(`bytes 2-5/${preview.length}`);
    expect(range.body).toBe('2345');
  });

  it('lists nothing and serves no dotfile', async () => {
    for (const url of [
      '/media/',
      '/media/previews/',
      '/media/previews/asset-1/',
      '/media/.hidden',
    ]) {
      const response = await get(url);
      // A directory is refused (403, send's answer for a directory without an index) or absent.
      expect([403, 404], url).toContain(response.statusCode);
      expect(response.body).not.toContain(secret);
    }
  });

  it('never leaves the root, however the path is spelled', async () => {
    for (const url of [
      '/media/../outside.txt',
      '/media/%2e%2e/outside.txt',
      '/media/previews/..%2f..%2f..%2foutside.txt',
      '/media/previews/%2e%2e%2f%2e%2e%2foutside.txt',
      '/media/..%5coutside.txt',
    ]) {
      const response = await get(url);
      expect(response.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, url).toBeLessThan(500);
      expect(response.body, url).not.toContain(secret);
    }
  });

  it('serves nothing when MEDIA_SERVE_ROOT is unset', async () => {
    const plain = await buildGateway();
    try {
      expect((await plain.app.inject({ url: '/media/previews/asset-1/v1.mp4' })).statusCode).toBe(
        404,
      );
    } finally {
      await plain.close();
    }
  });
});
