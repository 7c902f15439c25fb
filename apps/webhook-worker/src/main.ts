import { runWorker } from '@conveyor/worker-kit/main';
import { loadConfig } from './config.js';
import { createWebhookWorker } from './worker.js';

await runWorker({
  name: 'webhook-worker',
  env: process.env,
  loadConfig,
  buildWorker: createWebhookWorker,
});
