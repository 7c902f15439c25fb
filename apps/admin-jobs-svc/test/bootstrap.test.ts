import { describeServiceBootstrap } from '@conveyor/service-kit/testing-bootstrap';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

describeServiceBootstrap({
  name: 'admin-jobs-svc',
  title: 'Conveyor admin jobs',
  loadConfig,
  buildApp,
});
