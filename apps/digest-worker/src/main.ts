import { runWorker } from '@conveyor/worker-kit/main';
import { loadConfig } from './config.js';
import { createDigestWorker } from './worker.js';

await runWorker({
  name: 'digest-worker',
  env: process.env,
  loadConfig,
  buildWorker: createDigestWorker,
});
