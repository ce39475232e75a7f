/**
 * Determinism, per Worker Deployment version: each version's committed histories (recorded by the workflow suites with
 * `RECORD_HISTORIES=1`) replay against that version's workflow code — the current version's against this checkout's
 * bundle, an older version's against the bundle it shipped (`test/fixtures/deployments/<version>/workflow-bundle.js.gz`).
 * Orders run to their end on the version that started them (pinned), so a change to the command sequence ships as a
 * new version with its own fixtures, never behind `patched()`.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { quietRuntime } from '../harness/env';
import { CURRENT_DEPLOYMENT, DEPLOYMENTS_DIR } from '../harness/record';

/** Reads a fixture (proto3 JSON as `fetchHistory()` serialises it). */
function loadHistory(version: string, file: string): temporal.api.history.v1.History {
  const json = JSON.parse(fs.readFileSync(path.join(DEPLOYMENTS_DIR, version, 'histories', file), 'utf8')) as Record<
    string,
    unknown
  >;
  return temporal.api.history.v1.History.fromObject(json);
}

/** The workflow bundle of a version: this checkout's for the current one, else the one it shipped (unpacked once). */
function bundleOf(version: string): string {
  if (version === CURRENT_DEPLOYMENT) return process.env.TEST_WORKFLOW_BUNDLE!;
  const unpacked = path.join(process.env.TEST_WORK_DIR!, `workflow-bundle-${version}.js`);
  if (!fs.existsSync(unpacked)) {
    const packed = fs.readFileSync(path.join(DEPLOYMENTS_DIR, version, 'workflow-bundle.js.gz'));
    fs.writeFileSync(unpacked, zlib.gunzipSync(packed));
  }
  return unpacked;
}

const versions = fs
  .readdirSync(DEPLOYMENTS_DIR)
  .filter((v) => /^\d+\.\d+\.\d+$/.test(v))
  .sort();
const fixtures = versions.flatMap((version) =>
  fs
    .readdirSync(path.join(DEPLOYMENTS_DIR, version, 'histories'))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ version, file })),
);
const names = (version: string): string[] =>
  fixtures.filter((f) => f.version === version).map((f) => path.basename(f.file, '.json'));

/** Every path of lifecycle 1.0, each recorded by the workflow suites of version 1.0.0. */
const PATHS_1_0 = [
  'paid',
  'raw-start-paid',
  'reversed',
  'cancelled-pay-window',
  'cancel-requested',
  'already-closed',
  'paid-at-deadline-refunded',
  'paid-at-deadline-adopted',
  'pay-lands-late',
  'reverse-not-confirmed-retry',
  'query-rejected-resolved',
  'transient-retries',
  'reverse-rejected-retry',
  'retries-exhausted-resolved',
  'compensation-failed-retry',
  'markpaid-refused-resolved',
  'operator-signal-ignored-paid',
  'invalid-input',
  'refunded-before-reverse-resolved',
  'retry-after-reverse-refused',
  'not-found-after-found',
];

/** Lifecycle 1.1 adds the paths of an earlier run and of the client's restart after a reverse. */
const PATHS_1_1 = [...PATHS_1_0, 'earlier-run-ended-resolved', 'restart-after-reverse-confirming'];

/**
 * 1.2.0 indexes the sub-orders' `out_trade_no` (`SubOutTradeNos`): the paths of 1.1, and a start that set every other
 * attribute (a 1.1 client), which gets `SubOutTradeNos` alone in one upsert.
 */
const PATHS_1_2 = [...PATHS_1_1, 'start-without-sub-out-trade-nos-paid'];

describe('replay of committed histories, per deployment version', () => {
  beforeAll(() => quietRuntime());

  it('keeps every shipped version (1.0.0 and 1.1.0 with their bundles) and has a history for every path of each', () => {
    expect(versions).toEqual(expect.arrayContaining(['1.0.0', '1.1.0', CURRENT_DEPLOYMENT]));
    for (const version of versions.filter((v) => v !== CURRENT_DEPLOYMENT)) {
      expect(fs.existsSync(path.join(DEPLOYMENTS_DIR, version, 'workflow-bundle.js.gz'))).toBe(true);
    }
    expect(names('1.0.0')).toEqual(expect.arrayContaining(PATHS_1_0));
    expect(names('1.1.0')).toEqual(expect.arrayContaining(PATHS_1_1));
    expect(names(CURRENT_DEPLOYMENT)).toEqual(expect.arrayContaining(PATHS_1_2));
  });

  it('has no patch markers: versions carry the changes', () => {
    for (const { version, file } of fixtures) {
      const markers = loadHistory(version, file).events.filter(
        (e) => e.markerRecordedEventAttributes?.markerName === 'core_patch',
      );
      expect({ version, file, markers: markers.length }).toEqual({ version, file, markers: 0 });
    }
  });

  it.each(fixtures)('$version $file replays on its own version without nondeterminism', async ({ version, file }) => {
    const history = loadHistory(version, file);
    await Worker.runReplayHistory({ workflowBundle: { codePath: bundleOf(version) } }, history, file);
  });

  it('a 1.0.0 history that reaches REVERSING does not replay on 1.1.0 (why 1.1.0 is its own version)', async () => {
    const history = loadHistory('1.0.0', 'reversed.json');
    // 1.0's local activity answered the floor alone; 1.1 reads the earlier runs from it: the task fails on replay.
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: bundleOf('1.1.0') } }, history, 'reversed'),
    ).rejects.toThrow(/Replay failed/);
  });

  it("a 1.1.0 client start's history does not replay on the current code (why 1.2.0 is its own version)", async () => {
    const history = loadHistory('1.1.0', 'paid.json');
    // A 1.1 client set every attribute but SubOutTradeNos: 1.2 upserts it at its first task, which 1.1 never did.
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: bundleOf(CURRENT_DEPLOYMENT) } }, history, 'paid'),
    ).rejects.toThrow(/Replay failed|[Nn]ondetermin/);
  });

  it('detects a nondeterministic change (the check can fail)', async () => {
    const history = loadHistory(CURRENT_DEPLOYMENT, 'reversed.json');
    // A history whose first activity was another one than the code schedules must be refused.
    const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes)!;
    scheduled.activityTaskScheduledEventAttributes!.activityType = { name: 'refundCombineOrder' };
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: bundleOf(CURRENT_DEPLOYMENT) } }, history, 'tampered'),
    ).rejects.toThrow(/[Nn]ondetermin/);
  });
});
