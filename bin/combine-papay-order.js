#!/usr/bin/env node
// @ts-check
/**
 * `combine-papay-order <command>`: the operator's order CLI (worker/cli/order.ts) from the built package (`dist/`): start,
 * begin, paid, cancel, status, list, retry, resolve. `combine-papay-order help` prints the commands and their flags;
 * refused arguments exit 64 naming the flag or argument. Connection from the environment (TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*). In a clone, `npm run order -- <command>` runs this file after
 * building `dist/` when a source is newer.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const CLI = path.resolve(__dirname, '..', 'dist', 'worker', 'cli', 'order.js');

if (!fs.existsSync(CLI)) {
  console.error(`combine-papay-order: ${CLI} is missing: run "npm run build" in a checkout (a package has it built)`);
  process.exit(1);
}

/** @type {{ main: (argv: readonly string[]) => Promise<number> }} */
const { main } = require(CLI);
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
