// @ts-check
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';
import buildIfStale from './tools/scripts/build-if-stale.js';

/** The folders of docs/development.md's layout table, top to bottom: arrows only run down it. */
const FOLDERS = [
  'workflows',
  'wechatpay',
  'activities',
  'client',
  'worker',
  'bin',
  'schema',
  'tools/simulator',
  'tools/devstack',
  'tools/scripts',
  'tools/bench',
  'ops',
  'examples',
  'test',
  'docs',
];
const PRODUCT = ['workflows', 'wechatpay', 'activities', 'client', 'worker'];
const ABOVE_TOOLS = [...PRODUCT, 'bin', 'schema', 'tools/simulator'];
/**
 * What each folder may import besides itself (the table's last column); every other project folder is refused.
 * Two arrows need more than a folder: `wechatpay/` may import `workflows/contract` only (its own zone below), and
 * `workflows/` may import `activities/` as types only (no-restricted-imports in the workflow block: this rule cannot
 * tell a type import). `test/` may import everything.
 */
const MAY_IMPORT = {
  workflows: [],
  wechatpay: [],
  activities: ['workflows', 'wechatpay'],
  client: ['workflows'],
  worker: ['workflows', 'wechatpay', 'activities', 'client'],
  bin: [], // the built output (dist/) only
  schema: [],
  'tools/simulator': PRODUCT,
  'tools/devstack': ABOVE_TOOLS,
  'tools/scripts': [...ABOVE_TOOLS, 'tools/devstack'],
  'tools/bench': [...ABOVE_TOOLS, 'tools/devstack', 'tools/scripts'],
  ops: [],
  examples: [],
  docs: [],
};
const EXEMPT = { workflows: ['activities'], wechatpay: ['workflows'] };
/** How a refusal names what the folder may import, where the list alone would mislead. */
const ALLOWED_TEXT = {
  workflows: 'only itself (activities/ as types)',
  wechatpay: 'workflows/contract only',
  bin: 'the built output (dist/) only',
};
const allowedText = (folder) =>
  ALLOWED_TEXT[folder] ?? (MAY_IMPORT[folder].map((f) => `${f}/`).join(', ') || 'no other folder');

/** Whether `from` is refused to `folder` by the product's own zone below rather than by the folder's layer zone. */
const productToTools = (folder, from) => PRODUCT.includes(folder) && from.startsWith('tools/');

const layerZones = [
  ...Object.entries(MAY_IMPORT).map(([folder, allowed]) => ({
    target: `./${folder}`,
    from: FOLDERS.filter(
      (f) => f !== folder && !allowed.includes(f) && !EXEMPT[folder]?.includes(f) && !productToTools(folder, f),
    ).map((f) => `./${f}`),
    message: `${folder}/ may import ${allowedText(folder)} (docs/development.md, Layout).`,
  })),
  {
    target: './wechatpay',
    from: './workflows',
    except: ['./contract.ts'],
    message: `wechatpay/ may import ${allowedText('wechatpay')} (docs/development.md, Layout).`,
  },
  // What ships never imports the tools: tools/ is not built into dist/ and not in the package or the image.
  ...PRODUCT.map((folder) => ({
    target: `./${folder}`,
    from: './tools',
    message: `${folder}/ is product code: it may not import tools/ (never built or shipped; docs/development.md, Layout).`,
  })),
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'client/dist/', '.tools/', '.data/', 'test-results/', 'coverage/', 'tools/bench/results/'] },
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
    // The layers (docs/development.md, Layout): every arrow the table does not allow, in TypeScript and JavaScript.
    files: ['**/*.{ts,js,mjs}'],
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      'import/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layerZones }],
    },
  },
  {
    // Every function can be read in one sitting: at most 80 lines from its first line to its last, blank lines and
    // comments included (a method from its name, an arrow from its parameters), in the folders the build compiles
    // (the product) and in tools/.
    files: [...buildIfStale.SOURCE_DIRS, 'tools'].map((dir) => `${dir}/**/*.{ts,js}`),
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: false, skipComments: false, IIFEs: true }],
    },
  },
  {
    // Workflow code is replayed: it must be deterministic and may not touch Node APIs or the network. Packages: only
    // @temporalio/workflow and @temporalio/common (Node built-ins, axios, the client and the worker SDKs are refused;
    // the client SDK's types are allowed, erased at build: the contract names the message types through it for the
    // client package); project folders: the layer zones above (tools/bench/ceilings/workflows.ts imports only the contract and the activities' types).
    files: ['workflows/**/*.ts', 'tools/bench/ceilings/workflows.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@temporalio/activity', message: 'Activities are imported as types only.', allowTypeImports: true },
            {
              name: '@temporalio/client',
              message: 'Workflow code imports the client SDK as types only (erased at build).',
              allowTypeImports: true,
            },
          ],
          patterns: [
            {
              regex: '^(?![.]|@temporalio/(workflow|common|activity|client)$)',
              message:
                'Workflow code runs in the replay sandbox: it imports only @temporalio/workflow and @temporalio/common (no Node built-ins, no I/O: call an activity).',
            },
            {
              group: ['../activities', '../activities/*', '../../activities', '../../activities/*'],
              message: 'Import activities with `import type` only.',
              allowTypeImports: true,
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
