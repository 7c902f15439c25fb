import { runService } from '@conveyor/service-kit/main';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

await runService({ name: 'notifications-svc', env: process.env, loadConfig, buildApp });
