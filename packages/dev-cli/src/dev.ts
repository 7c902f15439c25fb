import { ConfigError } from '@conveyor/runtime/config';
import { missingDependencies } from '@conveyor/runtime/dependencies';
import { demoUsers } from '@conveyor/db/seed';
import { signToken } from '@conveyor/service-kit/tokens';
import { appEnvironment, appUrl, discoverApps, type AppDefinition } from './apps.js';
import { renderBanner } from './banner.js';
import { inheritedEnvironment, loadDevConfig, type DevConfig } from './config.js';
import { prepareDatabase } from './database.js';
import { startDevMail, type DevMail } from './dev-mail.js';
import { createAppPrinter } from './output.js';
import { NotReadyError, waitUntilReady } from './readiness.js';
import {
  killAllNow,
  sourceEntryArgs,
  startChild,
  stopChildren,
  type SupervisedChild,
} from './supervisor.js';

// `pnpm dev`: the whole system on one machine. Every step is one call into a module of its own;
// this file only orders them and owns the process's life (signals, exit code).

const env = inheritedEnvironment();
let config: DevConfig;
try {
  config = loadDevConfig(env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// 1. Redis and PostgreSQL answer, or one line each says what is missing and how to start it.
const missing = await missingDependencies({
  redisUrl: config.REDIS_URL,
  databaseUrl: config.DATABASE_URL,
});
if (missing.length > 0) {
  for (const line of missing) console.error(line);
  process.exit(1);
}

let apps: AppDefinition[];
try {
  apps = await discoverApps(config.APPS_DIR);
} catch (error) {
  console.error(`cannot read the apps in ${config.APPS_DIR}: ${(error as Error).message}`);
  process.exit(1);
}
const nameWidth = Math.max(3, ...apps.map((app) => app.name.length));
const pretty =
  config.DEV_LOG_FORMAT === 'pretty' || (config.DEV_LOG_FORMAT === 'auto' && process.stdout.isTTY);
const printerOptions = {
  pretty,
  colorize: process.stdout.isTTY,
  nameWidth,
  write: (text: string) => process.stdout.write(text),
};
const say = createAppPrinter('dev', apps.length, { ...printerOptions, pretty: false });

const children: SupervisedChild[] = [];
let mail: DevMail | undefined;
const stopping = new AbortController();

/** Stops everything once, whatever asked first (a signal, a dead app, a failed start). */
async function shutdown(reason: string, exitCode: number): Promise<void> {
  if (stopping.signal.aborted) return;
  stopping.abort();
  say(`${reason}; stopping ${children.length} app(s)`);
  const exits = await stopChildren(children, config.STOP_TIMEOUT_MS, (name) =>
    say(`${name} did not stop within ${config.STOP_TIMEOUT_MS} ms; killing it`),
  );
  await mail?.close();
  const unclean = exits.filter(
    ({ code, signal }) => code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT',
  );
  for (const { name, code, signal } of unclean)
    say(`${name} exited with ${signal ?? `code ${code}`}`);
  say(unclean.length === 0 ? 'stopped' : 'stopped, not cleanly');
  process.exitCode = exitCode !== 0 || unclean.length > 0 ? Math.max(exitCode, 1) : 0;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void shutdown(`received ${signal}`, 0));
}
process.on('exit', () => killAllNow(children));

async function startSystem(): Promise<void> {
  // 2. Schema and demo users.
  say(`preparing the database at ${new URL(config.DATABASE_URL).pathname.slice(1)}`);
  await prepareDatabase(config.DATABASE_URL);
  if (stopping.signal.aborted) return;

  // 3. Mail: the developer's own SMTP server when one listens, the catcher otherwise.
  mail = await startDevMail(config, say);
  if (stopping.signal.aborted) {
    // The stop came while the catcher was starting, so shutdown() could not close it.
    await mail.close();
    return;
  }

  // 4. The apps, each in its own process, its lines prefixed with its name.
  const settings = {
    host: config.HOST,
    portOffset: config.PORT_OFFSET,
    shared: {
      NODE_ENV: config.NODE_ENV,
      REDIS_URL: config.REDIS_URL,
      DATABASE_URL: config.DATABASE_URL,
      SMTP_URL: config.SMTP_URL,
      JWT_SECRET: config.JWT_SECRET,
    },
    mediaRoot: config.MEDIA_ROOT,
  };
  apps.forEach((app, index) => {
    const started = startChild({
      name: app.name,
      cwd: app.dir,
      env: { ...env, ...appEnvironment(app, apps, settings) },
      args: sourceEntryArgs('src/main.ts'),
      onLine: createAppPrinter(app.name, index, printerOptions),
    });
    children.push(started);
    void started.exited.then(({ code, signal }) => {
      const how = signal ?? `code ${code}`;
      void shutdown(`${app.name} exited unexpectedly (${how})`, 1);
    });
  });
  say(`started ${apps.map((app) => app.name).join(', ')}`);

  // 5. Every app answers 200 on /readyz.
  await waitUntilReady(
    apps.map((app) => ({ name: app.name, url: `${appUrl(app, settings)}/readyz` })),
    {
      timeoutMs: config.READY_TIMEOUT_MS,
      signal: stopping.signal,
      onReady: (name) => say(`${name} is ready`),
    },
  );

  if (stopping.signal.aborted) return;

  // 6. Where everything is, and tokens to call it with.
  const gateway = apps.find((app) => app.kind === 'gateway');
  const tokenUser = (id: string) => {
    const user = demoUsers.find((candidate) => candidate.id === id)!;
    const { id: sub, role, email, name } = user;
    const token = signToken(
      { sub, role, email, name },
      { secret: config.JWT_SECRET, expiresInSeconds: config.DEV_TOKEN_TTL_SECONDS },
    );
    return { role, sub, token };
  };
  process.stdout.write(
    renderBanner({
      gatewayUrl: gateway ? appUrl(gateway, settings) : undefined,
      apps: apps.map((app) => ({ name: app.name, kind: app.kind, url: appUrl(app, settings) })),
      mail: { smtpUrl: config.SMTP_URL, webUrl: mail.webUrl },
      tokens: [tokenUser('demo-admin'), tokenUser('demo-creator')],
      tokenTtlSeconds: config.DEV_TOKEN_TTL_SECONDS,
    }),
  );
}

try {
  await startSystem();
} catch (error) {
  if (!stopping.signal.aborted) {
    // NotReadyError names the app that did not come up; anything else says what failed.
    const message = error instanceof Error ? error.message : String(error);
    await shutdown(error instanceof NotReadyError ? message : `start-up failed: ${message}`, 1);
  }
}
