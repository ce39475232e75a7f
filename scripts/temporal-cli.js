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
 * Plain CommonJS so that it runs from `npm install` before anything is compiled.
 */
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** The newest CLI tag that `go install` accepts (later tags carry a `replace` directive in go.mod). */
const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/**
 * The folder holding package.json (this file also runs compiled, from dist/scripts).
 * @param {string} start
 * @returns {string}
 */
function findProjectRoot(start) {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start, '..');
  }
}
const PROJECT_ROOT = findProjectRoot(path.resolve(__dirname, '..'));
const PROJECT_BIN_DIR = path.join(PROJECT_ROOT, '.tools', 'bin');
const USER_CACHE_DIR = path.join(
  process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
  'combine-papay-timeout',
  `temporal-${TEMPORAL_CLI_VERSION}`,
);

/** @param {string} file */
function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** @param {string} name */
function findOnPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Returns the path of a usable Temporal CLI without building anything, or undefined.
 * @returns {{ path: string, source: string } | undefined}
 */
function locateTemporalCli() {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    }
    return { path: fromEnv, source: 'TEMPORAL_CLI_PATH' };
  }
  const onPath = findOnPath('temporal');
  if (onPath) return { path: onPath, source: 'PATH' };
  const projectCopy = path.join(PROJECT_BIN_DIR, 'temporal');
  if (isExecutable(projectCopy)) return { path: projectCopy, source: 'project cache' };
  const userCopy = path.join(USER_CACHE_DIR, 'temporal');
  if (isExecutable(userCopy)) {
    fs.mkdirSync(PROJECT_BIN_DIR, { recursive: true });
    fs.copyFileSync(userCopy, projectCopy);
    fs.chmodSync(projectCopy, 0o755);
    return { path: projectCopy, source: 'user cache' };
  }
  return undefined;
}

/** @returns {string | undefined} the `go` binary, if any */
function findGo() {
  return findOnPath('go') || ['/usr/local/go/bin/go', '/usr/lib/go/bin/go'].find(isExecutable);
}

/**
 * Builds the CLI with `go install` into .tools/bin and copies it to the user's cache.
 * @param {(line: string) => void} log
 * @returns {Promise<string>}
 */
function buildTemporalCli(log) {
  const go = findGo();
  if (!go) {
    return Promise.reject(
      new Error(
        'No Temporal CLI found and no Go toolchain to build one.\n' +
          '  Either install Go >= 1.25 (https://go.dev/doc/install) and run `npm install` again,\n' +
          '  or install the Temporal CLI (https://docs.temporal.io/cli) and put `temporal` on PATH,\n' +
          '  or point TEMPORAL_CLI_PATH at an existing `temporal` binary.',
      ),
    );
  }
  fs.mkdirSync(PROJECT_BIN_DIR, { recursive: true });
  log(
    `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} from the Go module proxy (${go} install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}).`,
  );
  log('This happens once per machine and takes several minutes; later runs reuse the binary.');
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // Stamp the version the way the CLI's own release build does, so `temporal --version` says 1.5.1.
    const ldflags = `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION.slice(1)}`;
    const child = spawn(go, ['install', '-ldflags', ldflags, `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      env: { ...process.env, GOBIN: PROJECT_BIN_DIR, GOFLAGS: process.env.GOFLAGS || '-mod=mod' },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderrTail = '';
    let downloads = 0;
    child.stderr.on('data', (chunk) => {
      const text = String(chunk);
      downloads += (text.match(/go: downloading/g) || []).length;
      stderrTail = (stderrTail + text).slice(-4000);
    });
    const ticker = setInterval(() => {
      const secs = Math.round((Date.now() - started) / 1000);
      log(`  still building the Temporal CLI… ${secs}s (${downloads} modules downloaded so far)`);
    }, 30_000);
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(err);
    });
    child.on('exit', (code) => {
      clearInterval(ticker);
      const built = path.join(PROJECT_BIN_DIR, 'temporal');
      if (code !== 0 || !isExecutable(built)) {
        reject(new Error(`go install of the Temporal CLI failed (exit ${code}):\n${stderrTail}`));
        return;
      }
      try {
        fs.mkdirSync(USER_CACHE_DIR, { recursive: true });
        fs.copyFileSync(built, path.join(USER_CACHE_DIR, 'temporal'));
        fs.chmodSync(path.join(USER_CACHE_DIR, 'temporal'), 0o755);
      } catch {
        // The user cache only saves time for other clones; the project copy is what counts.
      }
      log(`Built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)}s: ${built}`);
      resolve(built);
    });
  });
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
