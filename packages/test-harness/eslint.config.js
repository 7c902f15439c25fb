import base from '@conveyor/eslint-config/base';

export default [
  ...base,
  // Test helpers start child processes with the test's environment.
  { files: ['src/**/*.ts'], rules: { 'no-restricted-properties': 'off' } },
];
