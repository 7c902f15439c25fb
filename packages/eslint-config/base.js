// One lint setup for every package: type-checked typescript-eslint plus the rules the
// house style leans on (floating promises, type-only imports, env access only in config.ts).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Files that may read process.env: the config loaders, and the entry points that hand the
 * environment to them (or to the child processes they start). Everything else gets config.
 */
const envReaders = [
  '**/src/config.ts',
  '**/src/config/*.ts',
  '**/src/main.ts',
  '**/src/*-cli.ts',
  '**/*.config.ts',
  '**/test/**/*.ts',
];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/coverage/**',
      '**/*.js',
      '**/*.cjs',
      '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Fastify handlers and hooks are async by contract, whether or not they await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { attributes: false, arguments: false } },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read the environment in src/config.ts only, and pass config down.',
        },
      ],
    },
  },
  {
    files: envReaders,
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Tests lean on vitest's expect shapes, which come typed as any.
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
