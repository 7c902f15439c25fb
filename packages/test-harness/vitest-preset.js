// Plain JavaScript on purpose: vitest loads its config files with Node's own resolver, before
// any TypeScript source condition applies, so this preset must run untranspiled.
import { defineConfig, mergeConfig } from 'vitest/config';

/** Workspace packages resolve to their TypeScript source in tests, as in `pnpm dev`. */
const conditions = ['@conveyor/source', 'module', 'node', 'development|production'];

/**
 * The one vitest setup of the workspace: explicit imports, set timeouts, one fork per file so
 * a test file's servers and databases are its own.
 * @param {import('vitest/config').ViteUserConfig} [overrides]
 * @returns {import('vitest/config').ViteUserConfig}
 */
export function defineTestConfig(overrides = {}) {
  return mergeConfig(
    defineConfig({
      resolve: { conditions },
      ssr: { resolve: { conditions } },
      test: {
        globals: false,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        testTimeout: 20_000,
        hookTimeout: 60_000,
        pool: 'forks',
      },
    }),
    overrides,
  );
}
