import { describeServiceBootstrap } from '@conveyor/service-kit/testing-bootstrap';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

describeServiceBootstrap({
  name: 'notifications-svc',
  title: 'Conveyor notifications',
  loadConfig,
  buildApp,
});
