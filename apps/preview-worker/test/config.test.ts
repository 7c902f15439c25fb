import { availableParallelism, tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError } from '@conveyor/runtime/config';
import { describe, expect, it } from 'vitest';
import { defaultMediaRoot, loadConfig } from '../src/config.js';

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the config loaded');
};

describe('loadConfig', () => {
  it('gives every variable a development default', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3104,
      HOST: '127.0.0.1',
      MEDIA_ROOT: defaultMediaRoot,
      MEDIA_PUBLIC_BASE_URL: 'http://127.0.0.1:3000/media',
      PREVIEW_CONCURRENCY: availableParallelism(),
      PREVIEW_TIMEOUT_SECONDS: 300,
      PREVIEW_TMP_DIR: tmpdir(),
      PREVIEW_SWEEP_STALE_SECONDS: 900,
      PREVIEW_SWEEP_LIMIT: 500,
    });
    expect(config.FFMPEG_PATH).toBeUndefined();
    expect(config.FFPROBE_PATH).toBeUndefined();
  });

  it('resolves relative directories against the working directory, once', () => {
    const config = loadConfig({ MEDIA_ROOT: 'var/media', PREVIEW_TMP_DIR: './tmp' });
    expect(config.MEDIA_ROOT).toBe(resolve('var/media'));
    expect(config.PREVIEW_TMP_DIR).toBe(resolve('tmp'));
  });

  it('takes an empty FFMPEG_PATH for an unset one', () => {
    const config = loadConfig({ FFMPEG_PATH: ' ', FFPROBE_PATH: '/opt/ffprobe' });
    expect(config.FFMPEG_PATH).toBeUndefined();
    expect(config.FFPROBE_PATH).toBe('/opt/ffprobe');
  });

  it('requires MEDIA_ROOT in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'MEDIA_ROOT: is required in production: the volume previews are written to',
    ]);
    expect(loadConfig({ NODE_ENV: 'production', MEDIA_ROOT: '/data/media' }).MEDIA_ROOT).toBe(
      '/data/media',
    );
  });

  it('names every bad variable', () => {
    const problems = problemsOf({
      PREVIEW_CONCURRENCY: '0',
      PREVIEW_TIMEOUT_SECONDS: 'soon',
      MEDIA_PUBLIC_BASE_URL: 'ftp://media',
      PREVIEW_SWEEP_STALE_SECONDS: '-1',
    });
    expect(problems.map((problem) => problem.split(':')[0])).toEqual([
      'MEDIA_PUBLIC_BASE_URL',
      'PREVIEW_CONCURRENCY',
      'PREVIEW_TIMEOUT_SECONDS',
      'PREVIEW_SWEEP_STALE_SECONDS',
    ]);
  });
});
