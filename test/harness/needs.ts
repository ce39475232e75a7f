/**
 * Suites that need a tool besides Node (chromium, a JDK with Maven, Go 1.26+, Prometheus, openssl, redis-server): on a machine without it the
 * suite is skipped with one loud line naming the install command, so `npm test` still passes on a fresh machine and
 * says what it did not run (the lines are repeated after jest's summary by test/harness/skips-reporter.js, since jest
 * drops the console output of a suite whose tests all skipped). `.ci/run` sets `REQUIRE_ALL_SUITES=1`, which turns every such skip into a failure.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A tool a suite needs: how to find it and how to install it. */
export interface Need {
  /** What it is, e.g. "chromium". */
  name: string;
  /** An executable path, or a command on PATH. */
  found: () => boolean;
  /** The command that installs it, e.g. "apt-get install chromium". */
  install: string;
}

/** Whether `command` runs (exit 0 with `args`). */
function commandRuns(command: string, args: string[] = ['--version']): boolean {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

/** Whether `file` exists and is executable. */
function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * `describe` when every need is met; otherwise `describe.skip` after one loud line per missing tool, or, with
 * `REQUIRE_ALL_SUITES=1`, an error that fails the suite.
 */
export function describeWith(needs: Need[]): jest.Describe {
  const missing = needs.filter((n) => !n.found());
  if (missing.length === 0) return describe;
  for (const need of missing) {
    const line = `SKIPPED: this suite needs ${need.name}, which this machine lacks; install it with: ${need.install}`;
    if (process.env.REQUIRE_ALL_SUITES === '1') throw new Error(`${line} (REQUIRE_ALL_SUITES=1)`);
    console.warn(`\n${'!'.repeat(100)}\n${line}\n${'!'.repeat(100)}`);
    // jest drops the console output of a file whose tests all skipped: test/harness/skips-reporter.js prints this
    // file's lines after the summary.
    const file = process.env.SKIPPED_SUITES_FILE;
    if (file) fs.appendFileSync(file, `${line} (${path.relative(process.cwd(), expect.getState().testPath ?? '')})\n`);
  }
  return describe.skip;
}

/** Debian's chromium (or CHROMIUM_PATH), for the Web UI suite. */
export const CHROMIUM: Need = {
  name: 'chromium',
  found: () => executable(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'),
  install: 'sudo apt-get install chromium (or set CHROMIUM_PATH)',
};
/** A JDK 17+ and Maven, for the Java checkout template. */
export const JDK_AND_MAVEN: Need = {
  name: 'a JDK 17+ and Maven',
  found: () => commandRuns('java', ['-version']) && commandRuns('mvn', ['-v']),
  install: 'sudo apt-get install openjdk-17-jdk-headless maven',
};
/** Debian's redis-server (or REDIS_SERVER), for the benchmark's BullMQ peer in the bench's short form. */
export const REDIS: Need = {
  name: 'redis-server',
  found: () => commandRuns(process.env.REDIS_SERVER ?? 'redis-server', ['--version']),
  install: 'sudo apt-get install redis-server (or set REDIS_SERVER)',
};
/** Debian's Prometheus, for the live alerts suite. */
export const PROMETHEUS: Need = {
  name: 'Prometheus',
  found: () => commandRuns('prometheus', ['--version']),
  install: 'sudo apt-get install prometheus',
};
/** Go 1.26+ (`go.temporal.io/sdk` v1.51.0 needs it), for the Go checkout template. */
export const GO_1_26: Need = {
  name: 'Go 1.26+',
  found: () => {
    const out = spawnSync('go', ['version'], { encoding: 'utf8', timeout: 20_000 });
    const [, major, minor] = /go(\d+)\.(\d+)/.exec(out.stdout ?? '') ?? [];
    return out.status === 0 && (Number(major) > 1 || Number(minor) >= 26);
  },
  install: 'Go 1.26 or newer from https://go.dev/dl/',
};
/** The openssl command, to make a merchant certificate as the merchant platform issues one. */
export const OPENSSL: Need = {
  name: 'openssl',
  found: () => commandRuns('openssl', ['version']),
  install: 'sudo apt-get install openssl',
};
