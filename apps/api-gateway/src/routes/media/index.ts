import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export interface MediaRoutesOptions {
  /** The directory served: the preview worker's MEDIA_ROOT. */
  root: string;
  /** The URL path it is served at, e.g. `/media`. */
  path: string;
}

/**
 * Media previews, served read-only from the preview worker's storage root for development, so
 * the `previewUrl` the worker records plays in a browser (issue 8). @fastify/static (through
 * @fastify/send) answers Range requests, which a `<video>` element seeks with, and refuses any
 * path that would leave the root. No listing, no index files, no dotfiles. No token either: a
 * preview's URL holds the asset's UUID, and in production a CDN or the object store serves the
 * same URLs the same way.
 */
export default async function mediaRoutes(
  app: FastifyInstance,
  options: MediaRoutesOptions,
): Promise<void> {
  await app.register(fastifyStatic, {
    root: options.root,
    prefix: `${options.path}/`,
    list: false,
    index: false,
    dotfiles: 'deny',
    // Keys are versioned (`previews/<asset>/v<version>.mp4`), but a failed preview may be
    // rendered again under the same key: a day, not forever.
    maxAge: '1d',
    decorateReply: false,
  });
}
