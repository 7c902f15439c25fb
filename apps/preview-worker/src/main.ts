import { runWorker } from '@conveyor/worker-kit/main';
import { loadConfig } from './config.js';
import { createPreviewWorker } from './worker.js';

await runWorker({
  name: 'preview-worker',
  env: process.env,
  loadConfig,
  buildWorker: createPreviewWorker,
});
