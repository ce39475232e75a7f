#!/usr/bin/env node
// @ts-check
/**
 * Finds or builds the Temporal CLI, whose `temporal server start-dev` is the dev server (with its Web UI) used by
 * `npm start`, the tests and the benchmarks. These machines cannot download the server binary, so it is built from
 * the Go module proxy when nothing else is available.
 *
 * Order: $TEMPORAL_CLI_PATH → `temporal` on PATH → the project's cache (.tools/bin) → the user's cache
 * (~/.cache/combine-papay-timeout) → `go install github.com/temporalio/cli/cmd/temporal@v1.5.1`.
 *
 * Plain CommonJS so that it runs from `npm install` before anything is compiled (`node tools/devstack/temporal-cli.js`,
 * `--print-path` to print only the path); the Go build itself is `go-build.js`, shared with `temporal-server.ts`. Part
 * of tools/devstack/, the libraries that bring up the local stack for the entry points in tools/scripts/, the tests and
 * the benchmarks; its types are in `temporal-cli.d.ts`.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const {
  findGo,
  goInstall,
  isExecutable,
  locateBinary,
  secondsSince,
  copyExecutable,
  userCacheDir,
} = require('./go-build');

/** The newest CLI tag that `go install` accepts (later tags carry a `replace` directive in go.mod). */
const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/**
 * The folder holding package.json (this file is tools/devstack/temporal-cli.js, run from its source).
 * @param {string} start
 * @returns {string}
 */
function findProjectRoot(start) {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start, '..');
  }
}
const PROJECT_ROOT = findProjectRoot(path.resolve(__dirname, '..', '..'));
const PROJECT_BIN_DIR = path.join(PROJECT_ROOT, '.tools', 'bin');
const USER_CACHE_DIR = userCacheDir(`temporal-${TEMPORAL_CLI_VERSION}`);

/**
 * Returns the path of a usable Temporal CLI without building anything, or undefined.
 * @returns {{ path: string, source: string } | undefined}
 */
function locateTemporalCli() {
  return locateBinary({
    name: 'temporal',
    env: 'TEMPORAL_CLI_PATH',
    projectBinDir: PROJECT_BIN_DIR,
    userCacheDir: USER_CACHE_DIR,
  });
}

/**
 * Builds the CLI with `go install` into .tools/bin and copies it to the user's cache.
 * @param {(line: string) => void} log
 * @returns {Promise<string>}
 */
async function buildTemporalCli(log) {
  const go = findGo();
  if (!go) {
    throw new Error(
      'No Temporal CLI found and no Go toolchain to build one.\n' +
        '  Either install Go >= 1.25 (https://go.dev/doc/install) and run `npm install` again,\n' +
        '  or install the Temporal CLI (https://docs.temporal.io/cli) and put `temporal` on PATH,\n' +
        '  or point TEMPORAL_CLI_PATH at an existing `temporal` binary.',
    );
  }
  fs.mkdirSync(PROJECT_BIN_DIR, { recursive: true });
  const target = `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`;
  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} from the Go module proxy (${go} install ${target}).`);
  log('This happens once per machine and takes several minutes; later runs reuse the binary.');
  const started = Date.now();
  // Stamp the version the way the CLI's own release build does, so `temporal --version` says 1.5.1.
  const ldflags = `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION.slice(1)}`;
  const what = 'the Temporal CLI';
  await goInstall({ go, targets: [target], gobin: PROJECT_BIN_DIR, ldflags, what, log, started });
  const built = path.join(PROJECT_BIN_DIR, 'temporal');
  if (!isExecutable(built)) throw new Error(`go install of the Temporal CLI left no executable at ${built}`);
  try {
    copyExecutable(built, USER_CACHE_DIR, 'temporal');
  } catch {
    // The user cache only saves time for other clones; the project copy is what counts.
  }
  log(`Built the Temporal CLI in ${secondsSince(started)}s: ${built}`);
  return built;
}

/**
 * Makes sure a Temporal CLI is available and returns its path.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<string>}
 */
async function ensureTemporalCli(options = {}) {
  const log = options.log || ((line) => console.error(line));
  const found = locateTemporalCli();
  if (found) return found.path;
  return buildTemporalCli(log);
}

/**
 * The version line the CLI prints, e.g. "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)".
 * @param {string} cli
 */
function temporalCliVersion(cli) {
  const out = spawnSync(cli, ['--version'], { encoding: 'utf8' });
  return (out.stdout || out.stderr || '').trim();
}

module.exports = { ensureTemporalCli, locateTemporalCli, temporalCliVersion, TEMPORAL_CLI_VERSION };

if (require.main === module) {
  ensureTemporalCli()
    .then((cli) => {
      if (process.argv.includes('--print-path')) console.log(cli);
      else console.error(`Temporal CLI: ${cli}`);
    })
    .catch((err) => {
      console.error(`\n${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
