// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.data/**',
      '.tmp/**',
      'coverage/**',
      'bench/results/**',
      'test/replay/histories/**',
      '.stryker-tmp/**',
      'reports/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.mjs', 'scripts/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: only @temporalio/workflow, other workflow
    // modules, pure domain code and *types* from activities may be imported.
    files: ['src/workflows/**/*.ts'],
    ignores: ['src/workflows/**/*.spec.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.flatMap((name) => [
              { name, message: 'Workflow code must be deterministic: no Node builtins.' },
              { name: `node:${name}`, message: 'Workflow code must be deterministic: no Node builtins.' },
            ]),
            { name: 'pg', message: 'Workflow code must not touch the database; call an activity.' },
            { name: 'express', message: 'Workflow code must not import the HTTP layer.' },
            { name: '@temporalio/activity', message: 'Activity context is not available in workflows.' },
            { name: '@temporalio/client', message: 'Use @temporalio/workflow APIs inside workflows.' },
            { name: '@temporalio/worker', message: 'Workers are composition roots, not workflow code.' },
          ],
          patterns: [
            {
              group: ['**/activities/**', '**/activities'],
              allowTypeImports: true,
              message:
                'Import only types from activities (import type ...); the worker provides implementations.',
            },
            {
              group: ['**/eventstore/**', '**/api/**', '**/workers/**', '**/platform/**', '**/config'],
              message: 'Not deterministic workflow code.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() in a loop from @temporalio/workflow.' },
        { name: 'process', message: 'No process access in workflow code.' },
      ],
    },
  },
  {
    // Domain code is pure (deciders, vocabularies, id formats): no I/O, no framework, no other layer. Its unit
    // specs and their given/when/then helper may use node:assert and node:test.
    files: ['src/domain/**/*.ts'],
    ignores: ['src/domain/**/*.spec.ts', 'src/domain/decider-spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Domain code does no I/O: no Node builtins.' })),
            { name: 'pg', message: 'Domain code does no I/O: the services load and append.' },
            { name: 'express', message: 'Domain code does not know the HTTP layer.' },
          ],
          patterns: [
            { group: ['node:*'], message: 'Domain code does no I/O: no Node builtins.' },
            { group: ['@temporalio/*'], message: 'Domain code does not know Temporal.' },
            {
              // the Decider type is still declared by the event store: a type import of it is the exception
              regex: '(^|/)eventstore(/(?!types$).*)?$',
              message: 'Domain code depends on no other layer (they depend on it).',
            },
            {
              regex:
                '(^|/)(db|api|services|activities|workflows|workers|platform|carrier|metrics|bus|config)(/.*)?$',
              message: 'Domain code depends on no other layer (they depend on it).',
            },
            {
              group: ['**/eventstore/types'],
              allowTypeImports: true,
              message: 'Only the Decider type may come from the event store (until it moves to src/domain).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
