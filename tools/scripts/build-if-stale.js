#!/usr/bin/env node
// @ts-check
/**
 * Builds the product into `dist/` only when it is stale, so that `npm run order`, `npm run worker` and the other entry
 * points start at once when nothing changed (a full build is ~4.5 s: tsc plus the workflow bundle).
 *
 *   node tools/scripts/build-if-stale.js            build if a source is newer than the last build, silently
 *   node tools/scripts/build-if-stale.js --force    build anyway (`npm run build` is `--force --verbose`)
 *   node tools/scripts/build-if-stale.js --verbose  show the compiler's and bundler's output
 *   node tools/scripts/build-if-stale.js --check    exit 0 when fresh, 1 when a build is due (builds nothing)
 *   node tools/scripts/build-if-stale.js --worker-only  the worker package alone (the Dockerfile: no client package)
 *
 * What is built is the product only (what ships), as its two packages: the worker (the root package) into dist/, and
 * the client package (client/package.json) into client/dist/. The tools under
 * tools/ are never built into dist/: they run from their sources with tsx, and start the product's built worker
 * (dist/worker/main.js), which is why they call this first.
 *
 * Stale means: a file under workflows/ activities/ wechatpay/ worker/ client/, or package.json, package-lock.json,
 * tsconfig.json, tsconfig.build.json, is newer than the last successful build (stamp `dist/.build-stamp`), or the
 * stamp is missing. Then `tsc -p tsconfig.build.json` runs (incremental), and the workflow bundle is rebuilt (by
 * tools/scripts/bundle-workflows.ts, from the compiled dist/workflows/) only when a file under workflows/ (or the
 * installed @temporalio/workflow) is newer than `dist/workflow-bundle.js`. The client package is built apart
 * (`tsc -p client/tsconfig.build.json`: client/index.ts and the shared modules it imports, with declarations, plus the input's
 * JSON Schema copied in) when a file under client/ or workflows/, the schema, client/package.json,
 * client/tsconfig.build.json or tsconfig.json is newer than its stamp `client/dist/.build-stamp`.
 *
 * Nothing is printed on success: the CLI's output stays the CLI's. The compiler's or bundler's output is shown only
 * when a step fails (then the exit code is 1). Two commands started together build once (a lock directory).
 *
 * Plain CommonJS so that it runs before anything is compiled.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.build-stamp');
const BUNDLE = path.join(DIST, 'workflow-bundle.js');
const LOCK = path.join(ROOT, '.build-lock');
const CLIENT = path.join(ROOT, 'client');
const CLIENT_DIST = path.join(CLIENT, 'dist');
const CLIENT_STAMP = path.join(CLIENT_DIST, '.build-stamp');
const SCHEMA = path.join(ROOT, 'schema', 'order-input.schema.json');
/** What the client package's build reads besides client/ and workflows/. */
const CLIENT_FILES = [
  'tsconfig.json',
  'client/tsconfig.build.json',
  'client/package.json',
  'schema/order-input.schema.json',
];
/** The folders of product code: what the build compiles into dist/ (and what ships). */
const SOURCE_DIRS = ['workflows', 'activities', 'wechatpay', 'worker', 'client'];
const SOURCE_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
/** Folders under the source dirs that hold outputs or data, not sources (client/dist/: the client package's build). */
const SKIP_DIRS = new Set(['node_modules', '.data', 'dist']);
const SOURCE_EXT = /\.(ts|js|json|mjs|cjs)$/;
const VERBOSE = process.argv.includes('--verbose');
const WORKER_ONLY = process.argv.includes('--worker-only');

/**
 * Modification time (ms) of a file, or -1 when it does not exist.
 * @param {string} file
 */
function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

/**
 * The newest modification time of the sources in `dirs` (and of their folders, so deleted files count too).
 * @param {string[]} dirs
 * @returns {number}
 */
function newestIn(dirs) {
  let newest = -1;
  const stack = dirs.map((d) => path.join(ROOT, d));
  while (stack.length) {
    const dir = /** @type {string} */ (stack.pop());
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    newest = Math.max(newest, mtime(dir));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) stack.push(full);
      } else if (SOURCE_EXT.test(entry.name)) {
        newest = Math.max(newest, mtime(full));
      }
    }
  }
  return newest;
}

/** @returns {{ compile: boolean, bundle: boolean, client: boolean }} what is due */
function due() {
  const stamp = mtime(STAMP);
  const sources = Math.max(newestIn(SOURCE_DIRS), ...SOURCE_FILES.map((f) => mtime(path.join(ROOT, f))));
  const compile = stamp < 0 || sources > stamp;
  const bundleAt = mtime(BUNDLE);
  const workflowSources = Math.max(
    newestIn(['workflows']),
    mtime(path.join(ROOT, 'node_modules', '@temporalio', 'workflow', 'package.json')),
  );
  const clientAt = mtime(CLIENT_STAMP);
  const clientSources = Math.max(
    newestIn(['client', 'workflows']),
    ...CLIENT_FILES.map((f) => mtime(path.join(ROOT, f))),
  );
  return {
    compile,
    bundle: bundleAt < 0 || workflowSources > bundleAt,
    client: !WORKER_ONLY && (clientAt < 0 || clientSources > clientAt),
  };
}

/** A build step failed; its message carries the step's output. */
class BuildError extends Error {}

/**
 * Runs a build step with its output captured (shown when `--verbose`); throws {@link BuildError} with that output
 * when it fails.
 * @param {string} what
 * @param {string[]} args node arguments
 */
function step(what, args) {
  const out = VERBOSE
    ? spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' })
    : spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  if (out.status !== 0) {
    const text = VERBOSE ? '' : `:\n${out.stdout}${out.stderr}`;
    throw new BuildError(`${what} failed (exit ${out.status ?? out.signal})${text}`);
  }
}

/**
 * Whether the process that wrote the lock is gone (the lock was left by a killed build).
 * @returns {boolean}
 */
function lockAbandoned() {
  let pid;
  try {
    pid = Number(fs.readFileSync(path.join(LOCK, 'pid'), 'utf8'));
  } catch {
    // Just created, pid not written yet: only a lock this old is abandoned.
    return Date.now() - mtime(LOCK) > 10_000;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'ESRCH';
  }
}

/**
 * Takes the build lock, waiting for another build to finish; returns false when that build made this one needless.
 * @param {boolean} force
 */
function lock(force) {
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      fs.writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
      return true;
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EEXIST') throw err;
    }
    if (lockAbandoned()) {
      fs.rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    if (!force) {
      const { compile, bundle, client } = due();
      if (!compile && !bundle && !client) return false;
    }
  }
}

/**
 * Writes a build stamp carrying the time its build started: a source saved during the build makes the next run build
 * again.
 * @param {string} file
 * @param {number} started
 */
function stamp(file, started) {
  fs.writeFileSync(file, `${new Date(started).toISOString()}\n`);
  fs.utimesSync(file, started / 1000, started / 1000);
}

/**
 * Builds what is stale (everything with `force`); returns whether anything was built. When a step fails, prints its
 * output and exits the process with code 1 (the lock released first).
 * @param {{ force?: boolean }} [options]
 * @returns {boolean}
 */
function ensureBuilt(options = {}) {
  try {
    return build(Boolean(options.force));
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

/**
 * @param {boolean} force
 * @returns {boolean}
 */
function build(force) {
  const first = due();
  if (!force && !first.compile && !first.bundle && !first.client) return false;
  if (!lock(force)) return false;
  try {
    const { compile, bundle, client } = force ? { compile: true, bundle: true, client: !WORKER_ONLY } : due();
    // The output folders first: creating client/dist/ changes client/'s time, which must not outdate this build.
    fs.mkdirSync(DIST, { recursive: true });
    fs.mkdirSync(CLIENT_DIST, { recursive: true });
    const started = Date.now();
    if (compile)
      step('tsc -p tsconfig.build.json', [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
    if (bundle) step('workflow bundle', ['--import', 'tsx', path.join(__dirname, 'bundle-workflows.ts')]);
    stamp(STAMP, started);
    if (client) {
      const clientStarted = Date.now();
      step('tsc -p client/tsconfig.build.json', [
        require.resolve('typescript/bin/tsc'),
        '-p',
        'client/tsconfig.build.json',
      ]);
      // The package exports the schema (`combine-papay-client/order-input.schema.json`): a copy inside the package.
      fs.copyFileSync(SCHEMA, path.join(CLIENT_DIST, 'order-input.schema.json'));
      stamp(CLIENT_STAMP, clientStarted);
    }
    return compile || bundle || client;
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

module.exports = { ensureBuilt, SOURCE_DIRS };

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const { compile, bundle, client } = due();
    process.exit(compile || bundle || client ? 1 : 0);
  }
  ensureBuilt({ force: process.argv.includes('--force') });
}
