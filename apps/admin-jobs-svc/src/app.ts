import type { ServiceDeps } from '@conveyor/service-kit/main';
import { createBackendService } from '@conveyor/service-kit/service-base';
import type { Config } from './config.js';

export type AppDeps = ServiceDeps<Config>;

/** The admin job monitoring service (spec 002, 003): /api/admin/jobs, ADMIN only. */
export async function buildApp(deps: AppDeps) {
  const app = await createBackendService(deps, {
    title: 'Conveyor admin jobs',
    description:
      'Admin job monitoring: health, queues, jobs, actions and a live stream (spec 002, 003). ADMIN only.',
    version: '1.0.0',
  });
  return app;
}
