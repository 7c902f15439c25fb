export { default } from '@conveyor/eslint-config/base';
