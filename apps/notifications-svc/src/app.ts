import type { ServiceDeps } from '@conveyor/service-kit/main';
import { createBackendService } from '@conveyor/service-kit/service-base';
import type { Config } from './config.js';

export type AppDeps = ServiceDeps<Config>;

/** The notifications service (spec 001): the inbox API under /api/notifications. */
export async function buildApp(deps: AppDeps) {
  const app = await createBackendService(deps, {
    title: 'Conveyor notifications',
    description: 'In-app notifications, preferences and email delivery (spec 001).',
    version: '1.0.0',
  });
  return app;
}
