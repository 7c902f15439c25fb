import { availableParallelism, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { baseConfigShape, parseConfig, portVar } from '@conveyor/runtime/config';
import { z } from 'zod';

const int = (min: number, max: number, defaultValue: number) =>
  z.coerce.number().int().min(min).max(max).default(defaultValue);

/** A directory; a relative one is taken from the working directory, once, at start-up. */
const directoryVar = z
  .string()
  .trim()
  .min(1)
  .transform((value) => (isAbsolute(value) ? value : resolve(value)));

/** An optional path: unset and empty both mean "not given". */
const optionalPathVar = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === undefined || value === '' ? undefined : value));

/**
 * The development default of MEDIA_ROOT: the same absolute directory whatever the working
 * directory, so the gateway's development mount (MEDIA_SERVE_ROOT) finds what this worker wrote,
 * and outside the checkout, so previews never show up as untracked files.
 */
export const defaultMediaRoot = join(tmpdir(), 'conveyor', 'media');

export const ConfigSchema = z
  .object({
    ...baseConfigShape,
    /** Port of the health server (`/healthz`, `/readyz`, `/metrics`). @defaultValue 3104 */
    PORT: portVar(3104),
    HOST: z.string().min(1).default('127.0.0.1'),
    /**
     * Root of the local-disk media storage: originals are read from `<root>/<storageKey>`,
     * previews written to `<root>/previews/<assetId>/v<version>.<ext>`. Required in production
     * (a volume shared with whatever serves MEDIA_PUBLIC_BASE_URL).
     * @defaultValue `<os tmpdir>/conveyor/media`
     */
    MEDIA_ROOT: directoryVar.optional(),
    /**
     * Public URL of MEDIA_ROOT: `previewUrl` is this plus the preview's key.
     * @defaultValue `http://127.0.0.1:3000/media`, the gateway's development mount
     */
    MEDIA_PUBLIC_BASE_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .default('http://127.0.0.1:3000/media'),
    /** The ffmpeg binary. @defaultValue the one `@ffmpeg-installer/ffmpeg` installed */
    FFMPEG_PATH: optionalPathVar,
    /** The ffprobe binary. @defaultValue the one `@ffprobe-installer/ffprobe` installed */
    FFPROBE_PATH: optionalPathVar,
    /**
     * Previews rendered at once by one instance; each is one ffmpeg process, so more than the
     * cores only makes each slower. @defaultValue `os.availableParallelism()`
     */
    PREVIEW_CONCURRENCY: int(1, 256, availableParallelism()),
    /** Seconds one ffprobe or ffmpeg run may take before it is killed. @defaultValue 300 */
    PREVIEW_TIMEOUT_SECONDS: int(1, 86_400, 300),
    /**
     * Where each job's temporary directory is made (the rendered file before it is stored).
     * @defaultValue `os.tmpdir()`
     */
    PREVIEW_TMP_DIR: directoryVar.default(tmpdir()),
    /**
     * Seconds after which the sweep asks again for the preview of an eligible asset whose job
     * BullMQ no longer holds. @defaultValue 900
     */
    PREVIEW_SWEEP_STALE_SECONDS: int(1, 604_800, 900),
    /** Most assets one sweep looks at. @defaultValue 500 */
    PREVIEW_SWEEP_LIMIT: int(1, 10_000, 500),
  })
  .superRefine((config, context) => {
    if (config.NODE_ENV === 'production' && config.MEDIA_ROOT === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['MEDIA_ROOT'],
        message: 'is required in production: the volume previews are written to',
      });
    }
  })
  .transform(({ MEDIA_ROOT, ...config }) => ({
    ...config,
    MEDIA_ROOT: MEDIA_ROOT ?? defaultMediaRoot,
  }));

export type Config = z.output<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  return parseConfig(ConfigSchema, env);
}
