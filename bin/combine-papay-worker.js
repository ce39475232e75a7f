#!/usr/bin/env node
// @ts-check
/**
 * `combine-papay-worker`: the production worker, from the built package (`dist/`, with the prebuilt workflow bundle:
 * no bundling at start). Configured by the environment (docs/configuration.md).
 * `combine-papay-worker preflight [--query <combineOutTradeNo>]`: the go-live check with the same environment.
 *
 * Worker processes run with a bounded heap (`WORKER_NODE_FLAGS` in worker/memory.ts). Started without those flags
 * (`npx combine-papay-worker`), this script runs the worker as a child node process with them, forwards SIGTERM,
 * SIGINT and SIGHUP to it and exits with its code; started with them (`node --max-old-space-size=… bin/…`, as the
 * image does), it runs the worker in this process.
 */
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const DIST = path.resolve(__dirname, '..', 'dist');
const MAIN = path.join(DIST, 'worker', 'main.js');

if (!fs.existsSync(MAIN)) {
  console.error(`combine-papay-worker: ${MAIN} is missing: run "npm run build" in a checkout (a package has it built)`);
  process.exit(1);
}

/** @type {{ WORKER_NODE_FLAGS: readonly string[] }} */
const { WORKER_NODE_FLAGS } = require(path.join(DIST, 'worker', 'memory.js'));
const flagName = (/** @type {string} */ f) => f.split('=')[0];
const missing = WORKER_NODE_FLAGS.filter((f) => !process.execArgv.some((a) => flagName(a) === flagName(f)));

if (process.argv[2] === 'preflight') {
  // `combine-papay-worker preflight …`: the go-live check (worker/cli/preflight.ts), in this process; no worker.
  require(path.join(DIST, 'worker', 'cli', 'preflight.js'));
} else if (missing.length === 0) {
  require(MAIN);
} else {
  const child = spawn(process.execPath, [...process.execArgv, ...missing, MAIN], { stdio: 'inherit' });
  for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT', 'SIGHUP'])) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
