#!/usr/bin/env node
// @ts-check
/**
 * `npm run temporal -- <args>`: runs the project's Temporal CLI (the one
 * `node tools/devstack/temporal-cli.js --print-path` names: $TEMPORAL_CLI_PATH, `temporal` on PATH, or the copy built
 * into .tools/bin), so every `temporal …` command in the README works on a machine where the CLI lives only in the
 * project's folder, e.g.
 *
 *   npm run temporal -- workflow list --query "WorkflowType = 'combinePapayOrderWorkflow'"
 *
 * Arguments, stdio and the exit code are passed through; Ctrl-C reaches the CLI once. The CLI reads TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE and its other environment variables itself.
 */
'use strict';

const { spawn } = require('node:child_process');
const { ensureTemporalCli } = require('../devstack/temporal-cli');

ensureTemporalCli()
  .then((cli) => {
    const child = spawn(cli, process.argv.slice(2), { stdio: 'inherit' });
    // Ctrl-C reaches the CLI from the terminal itself (same process group): only wait for it to exit, so that it
    // does not get a second SIGINT (a second one cuts `server start-dev`'s graceful stop short). A SIGTERM or SIGHUP
    // sent to this process alone (a process manager) is passed on.
    process.on('SIGINT', () => undefined);
    for (const signal of /** @type {const} */ (['SIGTERM', 'SIGHUP'])) {
      process.on(signal, () => child.kill(signal));
    }
    child.on('error', (err) => {
      console.error(`cannot run ${cli}: ${err.message}`);
      process.exit(1);
    });
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (signalNumber(signal) ?? 1) : 1)));
  })
  .catch((err) => {
    console.error(`\n${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });

/** @param {NodeJS.Signals} signal */
function signalNumber(signal) {
  return require('node:os').constants.signals[signal];
}
