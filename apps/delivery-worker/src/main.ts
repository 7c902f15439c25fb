import { runWorker } from '@conveyor/worker-kit/main';
import { loadConfig } from './config.js';
import { createDeliveryWorker } from './worker.js';

await runWorker({
  name: 'delivery-worker',
  env: process.env,
  loadConfig,
  buildWorker: createDeliveryWorker,
});
