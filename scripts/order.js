#!/usr/bin/env node
// @ts-check
/**
 * `npm run order -- <command>` (or, skipping npm, `node scripts/order.js <command>`): the order CLI
 * (client/cli.ts). Builds `dist/` first only when a source is newer (see build-if-stale.js), silently, then runs the
 * compiled CLI in this same process, so a cached call costs one Node start plus loading the Temporal client.
 */
'use strict';

const path = require('node:path');

require('./build-if-stale').ensureBuilt();
// A computed path, so that tsc (allowJs) does not take the compiled file for a source.
require(path.join(__dirname, '..', 'dist', 'client', 'cli.js'));
