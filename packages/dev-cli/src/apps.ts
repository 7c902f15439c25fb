import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * What every app declares in its package.json. `pnpm dev` starts what it finds; a new app
 * needs nothing here, only this field and a `src/main.ts`.
 */
const ConveyorFieldSchema = z.object({
  kind: z.enum(['gateway', 'service', 'worker']),
  port: z.number().int().min(1).max(65_535),
});

export type AppKind = z.infer<typeof ConveyorFieldSchema>['kind'];

export interface AppDefinition {
  /** The folder name, e.g. `notifications-svc`; it prefixes the app's output. */
  name: string;
  dir: string;
  kind: AppKind;
  /** The port from package.json, before any offset. */
  port: number;
}

/** Every app under `appsDir` with a `conveyor` field and a `src/main.ts`, gateway first, then by name. */
export async function discoverApps(appsDir: string): Promise<AppDefinition[]> {
  const entries = await readdir(appsDir, { withFileTypes: true });
  const apps: AppDefinition[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = join(appsDir, entry.name);
    if (!existsSync(join(dir, 'src/main.ts')) || !existsSync(join(dir, 'package.json'))) continue;
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      conveyor?: unknown;
    };
    if (manifest.conveyor === undefined) continue;
    const field = ConveyorFieldSchema.safeParse(manifest.conveyor);
    if (!field.success) {
      throw new Error(
        `${entry.name}/package.json: the "conveyor" field must be { "kind": "gateway" | "service" | "worker", "port": <number> }`,
      );
    }
    apps.push({ name: entry.name, dir, ...field.data });
  }
  const order: Record<AppKind, number> = { gateway: 0, service: 1, worker: 2 };
  return apps.sort((a, b) => order[a.kind] - order[b.kind] || a.name.localeCompare(b.name));
}

/**
 * The variable through which the gateway finds a service: `notifications-svc` →
 * `NOTIFICATIONS_URL`, `admin-jobs-svc` → `ADMIN_JOBS_URL`.
 */
export function serviceUrlVariable(serviceName: string): string {
  return `${serviceName.replace(/-svc$/, '').replaceAll('-', '_').toUpperCase()}_URL`;
}

export interface SystemSettings {
  host: string;
  portOffset: number;
  /** Shared by every app: REDIS_URL, DATABASE_URL, SMTP_URL, JWT_SECRET, NODE_ENV. */
  shared: Record<string, string>;
  /**
   * The media storage root: the workers write previews there (MEDIA_ROOT) and the gateway
   * serves it at `/media` (MEDIA_SERVE_ROOT), the workers' MEDIA_PUBLIC_BASE_URL.
   */
  mediaRoot?: string;
}

export const appPort = (app: AppDefinition, settings: Pick<SystemSettings, 'portOffset'>): number =>
  app.port + settings.portOffset;

export const appUrl = (
  app: AppDefinition,
  settings: Pick<SystemSettings, 'host' | 'portOffset'>,
): string => `http://${settings.host}:${appPort(app, settings)}`;

/** Where the gateway serves the media root (its MEDIA_PUBLIC_PATH default). */
const mediaPath = '/media';

/** The variables `pnpm dev` sets for one app, on top of the environment it inherits. */
export function appEnvironment(
  app: AppDefinition,
  apps: readonly AppDefinition[],
  settings: SystemSettings,
): Record<string, string> {
  const env: Record<string, string> = {
    ...settings.shared,
    HOST: settings.host,
    PORT: String(appPort(app, settings)),
  };
  if (app.kind === 'gateway') {
    for (const service of apps.filter((candidate) => candidate.kind === 'service')) {
      env[serviceUrlVariable(service.name)] = appUrl(service, settings);
    }
  }
  const gateway = apps.find((candidate) => candidate.kind === 'gateway');
  if (settings.mediaRoot !== undefined && gateway !== undefined) {
    if (app.kind === 'gateway') env.MEDIA_SERVE_ROOT = settings.mediaRoot;
    if (app.kind === 'worker') {
      env.MEDIA_ROOT = settings.mediaRoot;
      env.MEDIA_PUBLIC_BASE_URL = `${appUrl(gateway, settings)}${mediaPath}`;
    }
  }
  return env;
}
