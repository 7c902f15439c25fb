import type { ServiceDeps } from '@conveyor/service-kit/main';
import { createBackendService } from '@conveyor/service-kit/service-base';
import type { Config } from './config.js';

export type AppDeps = ServiceDeps<Config>;

/** The job feedback service (spec 004): /api/jobs and /api/webhooks. */
export async function buildApp(deps: AppDeps) {
  const app = await createBackendService(deps, {
    title: 'Conveyor job feedback',
    description:
      'User jobs and webhooks: polling, real-time events and signed webhook delivery (spec 004).',
    version: '1.0.0',
  });
  return app;
}
