import { resolveFfmpegPaths } from '../src/binaries.js';

/** The binaries under test: the environment's when set, else the npm installers'. */
export const binaries = resolveFfmpegPaths(process.env);
