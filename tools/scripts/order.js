#!/usr/bin/env node
// @ts-check
/**
 * `npm run order -- <command>` (or, skipping npm, `node tools/scripts/order.js <command>`): the order CLI in a clone,
 * the same as the package's `combine-papay-order` bin (bin/combine-papay-order.js, worker/cli/order.ts). Builds `dist/` first
 * only when a source is newer (see build-if-stale.js), silently, then runs the bin in this same process, so a cached
 * call costs one Node start plus loading the Temporal client.
 */
'use strict';

const path = require('node:path');

require('./build-if-stale').ensureBuilt();
// A computed path, so that tsc (allowJs) does not take the bin for a source of the project.
require(path.join(__dirname, '..', '..', 'bin', 'combine-papay-order.js'));
