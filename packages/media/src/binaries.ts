import { createRequire } from 'node:module';

export interface FfmpegPaths {
  ffmpegPath: string;
  ffprobePath: string;
}

const require = createRequire(import.meta.url);

/** Both installer packages are CommonJS modules whose export names the binary for this platform. */
function installerPath(name: '@ffmpeg-installer/ffmpeg' | '@ffprobe-installer/ffprobe'): string {
  return (require(name) as { path: string }).path;
}

/**
 * `FFMPEG_PATH` / `FFPROBE_PATH` when set, else the binaries the npm installer packages ship.
 * An installer package is only loaded when its variable is unset, so a platform the installers
 * do not cover still works with both variables set.
 */
export function resolveFfmpegPaths(env: {
  FFMPEG_PATH?: string | undefined;
  FFPROBE_PATH?: string | undefined;
}): FfmpegPaths {
  return {
    ffmpegPath: nonEmpty(env.FFMPEG_PATH) ?? installerPath('@ffmpeg-installer/ffmpeg'),
    ffprobePath: nonEmpty(env.FFPROBE_PATH) ?? installerPath('@ffprobe-installer/ffprobe'),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined;
}
