/**
 * Determinism: committed histories of every workflow path replay against the current workflow code. A change that
 * breaks them needs a patch (`patched()`) or a new workflow type.
 *
 * `pre-reconcile/` holds histories recorded by the version before the pay window and the confirming queries (blind
 * reverse after a 15 s floor): orders that were already reversing when the new version was deployed must still
 * replay, on the path they took (`Patches.RECONCILE_BY_QUERY`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { quietRuntime } from '../harness/env';
import { HISTORY_DIR } from '../harness/record';
import { Patches } from '../../workflows/patches';
import { validateOrderInput } from '../../workflows/validation';

/** Reads a fixture (proto3 JSON as `fetchHistory()` serialises it). */
function loadHistory(file: string): temporal.api.history.v1.History {
  const json = JSON.parse(fs.readFileSync(path.join(HISTORY_DIR, file), 'utf8')) as Record<string, unknown>;
  return temporal.api.history.v1.History.fromObject(json);
}

const PRE_RECONCILE = 'pre-reconcile';
const jsonFiles = (dir: string): string[] =>
  fs
    .readdirSync(path.join(HISTORY_DIR, dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(dir, f))
    .sort();
const current = jsonFiles('.');
const before = jsonFiles(PRE_RECONCILE);
const files = [...current, ...before];
const names = (list: string[]) => list.map((f) => path.basename(f, '.json'));
/** Whether a history's workflow took the pay window / query path (it carries the patch marker). */
const hasReconcileMarker = (file: string): boolean =>
  loadHistory(file).events.some((e) =>
    Object.values(e.markerRecordedEventAttributes?.details ?? {}).some((payloads) =>
      (payloads.payloads ?? []).some((p) =>
        Buffer.from(p.data ?? [])
          .toString('utf8')
          .includes(Patches.RECONCILE_BY_QUERY),
      ),
    ),
  );

describe('replay of committed histories', () => {
  beforeAll(() => quietRuntime());

  it('has a history for every path of the workflow', () => {
    expect(names(current)).toEqual(
      expect.arrayContaining([
        'paid',
        'reversed',
        'cancelled-pay-window',
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
      ]),
    );
  });

  it('keeps the histories recorded before the pay window and the confirming queries', () => {
    expect(names(before)).toEqual(
      expect.arrayContaining([
        'reversed',
        'cancelled-floor',
        'transient-retries',
        'reverse-rejected-retry',
        'retries-exhausted-resolved',
        'compensation-failed-retry',
      ]),
    );
    // Those reversed blind (no marker); the current ones that reversed went through the queries (marker present).
    expect(before.filter(hasReconcileMarker)).toEqual([]);
    expect(hasReconcileMarker('reversed.json')).toBe(true);
  });

  it('needs the strict-input guard: the rules that accepted these orders still accept them, the new ones would not', () => {
    let refusedNow = 0;
    for (const file of files) {
      const first = loadHistory(file).events[0]!;
      const started = first.workflowExecutionStartedEventAttributes!;
      const input: unknown = JSON.parse(Buffer.from(started.input!.payloads![0]!.data!).toString('utf8'));
      const startTime = Number(first.eventTime!.seconds) * 1_000 + Math.floor((first.eventTime!.nanos ?? 0) / 1e6);
      const legacy = validateOrderInput(input, startTime, { legacy: true });
      const strict = validateOrderInput(input, startTime);
      // Replayed without the marker, the workflow validates with the legacy rules: the verdict it recorded.
      expect({ file, ok: legacy.ok }).toEqual({ file, ok: !file.endsWith('invalid-input.json') });
      if (legacy.ok && !strict.ok) refusedNow += 1;
    }
    // Without `patched(Patches.STRICT_INPUT)` these would fail at once on replay (100 ms WeChat Pay retries).
    expect(refusedNow).toBeGreaterThan(20);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = loadHistory(file);
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, history, file);
  });

  it('detects a nondeterministic change (the check can fail)', async () => {
    const history = loadHistory(path.join(PRE_RECONCILE, 'reversed.json'));
    // A history whose first activity was another one than the code schedules must be refused.
    const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes)!;
    scheduled.activityTaskScheduledEventAttributes!.activityType = { name: 'refundCombineOrder' };
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, history, 'tampered'),
    ).rejects.toThrow(/[Nn]ondetermin/);
  });
});
