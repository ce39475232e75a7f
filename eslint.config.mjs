// @ts-check
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'test-results/', 'coverage/', 'bench/results/'] },
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      'import/no-cycle': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use `as const` objects and union types.' },
      ],
    },
  },
  {
    // The product and the simulator stand below the dev stack, the entry points and the benchmarks: no arrow runs back up.
    files: ['{workflows,activities,wechatpay,worker,client,simulator}/**/*.ts'],
    ignores: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/devstack', '**/devstack/*', '**/scripts', '**/scripts/*', '**/bench', '**/bench/*'],
              message:
                'The product and the simulator must not import the dev stack, the entry points or the benchmarks.',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code is replayed: it must be deterministic and may not touch Node APIs or the network.
    files: ['workflows/**/*.ts', 'bench/ceiling-workflow.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflow code must not use Node built-ins.' })),
            { name: 'axios', message: 'Workflow code must not do I/O: call an activity.' },
            { name: 'wechatpay-axios-plugin', message: 'Workflow code must not do I/O: call an activity.' },
            { name: '@temporalio/activity', message: 'Activities are imported as types only.', allowTypeImports: true },
            { name: '@temporalio/worker', message: 'Not available in the workflow sandbox.' },
            { name: '@temporalio/client', message: 'Not available in the workflow sandbox.' },
          ],
          patterns: [
            {
              group: ['../activities', '../activities/*'],
              message: 'Import activities with `import type` only.',
              allowTypeImports: true,
            },
            {
              group: [
                '../worker',
                '../worker/*',
                '../client',
                '../client/*',
                '../wechatpay',
                '../wechatpay/*',
                '../simulator',
                '../simulator/*',
                '../devstack',
                '../devstack/*',
                '../scripts',
                '../scripts/*',
                '../bench',
                '../bench/*',
              ],
              message: 'Workflow code may only import workflow code.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No process state in workflow code.' },
        { name: 'require', message: 'Use static imports.' },
        { name: 'Buffer', message: 'No Node built-ins in workflow code.' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
