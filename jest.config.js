/**
 * Two projects over the same suites. `unit` (test/unit: pure code) has no global setup: `npm run test:unit` (and
 * `jest test/unit`) runs without a Temporal dev server or a workflow bundle. `stack` (every other layer) shares one dev
 * server and one bundle, started by its global setup only when at least one of its suites runs. `npm test` runs both.
 */
const common = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120000,
  maxWorkers: 1,
  testSequencer: '<rootDir>/test/harness/sequencer.js',
  // Prints after the summary why a suite skipped and how to install what it needs (test/harness/needs.ts).
  reporters: ['default', '<rootDir>/test/harness/skips-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/test/unit'],
      setupFiles: ['<rootDir>/test/harness/checkout-env.ts'],
    },
    {
      ...common,
      displayName: 'stack',
      roots: ['<rootDir>/test'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/'],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
    },
  ],
};
