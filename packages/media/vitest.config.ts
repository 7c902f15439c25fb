import { defineTestConfig } from '@conveyor/test-harness/vitest';

export default defineTestConfig();
