/**
 * Determinism: committed histories of every workflow path replay against the current workflow code. A change that
 * breaks them needs a patch (`patched()`) or a new workflow type.
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

describe('replay of committed histories', () => {
  beforeAll(() => quietRuntime());

  it('has a history for every path of the workflow', () => {
    expect(files.map((f) => f.replace(/\.json$/, ''))).toEqual(
      expect.arrayContaining([
        'paid',
        'reversed',
        'cancelled-floor',
        'transient-retries',
        'reverse-rejected-retry',
        'retries-exhausted-resolved',
        'compensation-failed-retry',
        'markpaid-refused-resolved',
        'operator-signal-ignored-paid',
        'invalid-input',
      ]),
    );
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
