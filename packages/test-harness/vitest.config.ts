import { defineTestConfig } from './vitest-preset.js';

export default defineTestConfig();
