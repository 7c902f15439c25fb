import { runService } from '@conveyor/service-kit/main';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

await runService({ name: 'webhooks-svc', env: process.env, loadConfig, buildApp });
