/**
 * Determinism: the committed histories of every workflow path (lifecycle 1.0, recorded by the workflow suites with
 * `RECORD_HISTORIES=1`) replay against the current workflow code. A change that breaks them ships as a new worker
 * deployment version, or — until Worker Versioning lands — behind `patched()` with histories of both paths.
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { quietRuntime } from '../harness/env';
import { HISTORY_DIR } from '../harness/record';

/** Reads a fixture (proto3 JSON as `fetchHistory()` serialises it). */
function loadHistory(file: string): temporal.api.history.v1.History {
  const json = JSON.parse(fs.readFileSync(path.join(HISTORY_DIR, file), 'utf8')) as Record<string, unknown>;
  return temporal.api.history.v1.History.fromObject(json);
}

const files = fs
  .readdirSync(HISTORY_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const names = files.map((f) => path.basename(f, '.json'));

/** Every path of the lifecycle, each recorded by the workflow suites. */
const PATHS = [
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

describe('replay of committed histories', () => {
  beforeAll(() => quietRuntime());

  it('has a history for every path of the workflow, one generation (lifecycle 1.0): no patch markers', () => {
    expect(names).toEqual(expect.arrayContaining(PATHS));
    for (const file of files) {
      const markers = loadHistory(file).events.filter(
        (e) => e.markerRecordedEventAttributes?.markerName === 'core_patch',
      );
      expect({ file, markers: markers.length }).toEqual({ file, markers: 0 });
    }
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = loadHistory(file);
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, history, file);
  });

  it('detects a nondeterministic change (the check can fail)', async () => {
    const history = loadHistory('reversed.json');
    // A history whose first activity was another one than the code schedules must be refused.
    const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes)!;
    scheduled.activityTaskScheduledEventAttributes!.activityType = { name: 'refundCombineOrder' };
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, history, 'tampered'),
    ).rejects.toThrow(/[Nn]ondetermin/);
  });
});
