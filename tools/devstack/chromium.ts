/**
 * Launching Debian's chromium headless on these machines (no network, no sandbox as root): one place for the flags, for
 * the Web UI browser test and the benchmark chart. Part of tools/devstack/, the libraries that bring up the local stack
 * for the entry points in tools/scripts/, the tests and the benchmarks.
 */
import { chromium, type Browser } from 'playwright-core';

/** Flags that keep chromium from reaching for the (closed) network. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/** Starts chromium from CHROMIUM_PATH or /usr/bin/chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}
