// @ts-check
/**
 * Part of tools/devstack/, the libraries that bring up the local stack for the entry points in tools/scripts/, the
 * tests and the benchmarks (never imported by the product). This one holds what the Temporal CLI (`temporal-cli.js`)
 * and the Temporal server (`temporal-server.ts`) share in obtaining a Go binary on machines that cannot download
 * release binaries: finding an executable (an environment variable, PATH, the project's cache, the user's cache) and
 * building it from the Go module proxy with `go install`, with progress while it runs.
 *
 * Plain CommonJS so that `temporal-cli.js` can use it from `npm install`, before anything is compiled; its types are
 * in `go-build.d.ts`.
 */
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** How often a running build says it is still running. */
const PROGRESS_EVERY_MS = 30_000;

/**
 * Whether `file` is an executable regular file.
 * @param {string} file
 * @returns {boolean}
 */
function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The first executable called `name` in a folder of PATH.
 * @param {string} name
 * @returns {string | undefined}
 */
function findOnPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** @returns {string | undefined} the `go` binary, if any */
function findGo() {
  return findOnPath('go') || ['/usr/local/go/bin/go', '/usr/lib/go/bin/go'].find(isExecutable);
}

/**
 * The user's cache folder for one build, shared by every clone: `~/.cache/combine-papay-timeout/<folder>` (or under
 * `$XDG_CACHE_HOME`).
 * @param {string} folder
 * @returns {string}
 */
function userCacheDir(folder) {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'combine-papay-timeout', folder);
}

/**
 * Copies an executable into `dir` (created if missing) under `name`; returns the copy's path.
 * @param {string} from
 * @param {string} dir
 * @param {string} name
 * @returns {string}
 */
function copyExecutable(from, dir, name) {
  const to = path.join(dir, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(from, to);
  fs.chmodSync(to, 0o755);
  return to;
}

/**
 * One binary without building: the environment variable `env`, `name` on PATH, the project's cache, the user's cache
 * (copied into the project's cache); undefined when none has it.
 * @param {{ name: string, env: string, projectBinDir: string, userCacheDir: string }} tool
 * @returns {{ path: string, source: string } | undefined}
 */
function locateBinary(tool) {
  const fromEnv = process.env[tool.env]?.trim();
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${tool.env}=${fromEnv} is not an executable file`);
    return { path: fromEnv, source: tool.env };
  }
  const found = findOnPath(tool.name);
  if (found) return { path: found, source: 'PATH' };
  const project = path.join(tool.projectBinDir, tool.name);
  if (isExecutable(project)) return { path: project, source: 'project cache' };
  const user = path.join(tool.userCacheDir, tool.name);
  if (!isExecutable(user)) return undefined;
  return { path: copyExecutable(user, tool.projectBinDir, tool.name), source: 'user cache' };
}

/**
 * Seconds since `started` (epoch ms), rounded.
 * @param {number} started
 * @returns {number}
 */
function secondsSince(started) {
  return Math.round((Date.now() - started) / 1000);
}

/**
 * Runs `go install -ldflags <ldflags> <targets…>` into `gobin` (GOFLAGS `-mod=mod` unless set), printing every 30 s
 * how long `what` has been building and how many modules were downloaded; rejects with the tail of go's output when
 * it fails.
 * @param {{ go: string, targets: string[], gobin: string, ldflags: string, what: string,
 *   log: (line: string) => void, started: number }} build
 * @returns {Promise<void>}
 */
function goInstall(build) {
  return new Promise((resolve, reject) => {
    const child = spawn(build.go, ['install', '-ldflags', build.ldflags, ...build.targets], {
      env: { ...process.env, GOBIN: build.gobin, GOFLAGS: process.env.GOFLAGS || '-mod=mod' },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let tail = '';
    let downloads = 0;
    child.stderr.on('data', (chunk) => {
      const text = String(chunk);
      downloads += (text.match(/go: downloading/g) || []).length;
      tail = (tail + text).slice(-4000);
    });
    const ticker = setInterval(() => {
      const secs = secondsSince(build.started);
      build.log(`  still building ${build.what}… ${secs}s (${downloads} modules downloaded so far)`);
    }, PROGRESS_EVERY_MS);
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(err);
    });
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else reject(new Error(`go install of ${build.what} failed (exit ${code}):\n${tail}`));
    });
  });
}

module.exports = {
  isExecutable,
  findOnPath,
  findGo,
  userCacheDir,
  copyExecutable,
  locateBinary,
  secondsSince,
  goInstall,
};
