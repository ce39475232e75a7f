/**
 * Determinism: committed histories of every workflow path replay against the current workflow code. A change that
 * breaks them needs a patch (`patched()`) or a new workflow type.
 *
 * Each generation of the workflow keeps the histories it wrote, so orders running when the next one was deployed
 * still replay on the path they took:
 * - `pre-reconcile/`: blind reverse after a 15 s floor (no patch marker);
 * - `pre-strict-input/`: pay window and confirming queries (`reconcile-by-query`), before the stricter input rules and
 *   the WeChat Pay task queue;
 * - `pre-attributes-at-start/`: `strict-input` and `wechatpay-task-queue` too; the workflow still upserted the start
 *   values;
 * - the top level: the current code (`attributes-at-start`, which implies every earlier patch).
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

const GENERATIONS = ['.', 'pre-attributes-at-start', 'pre-strict-input', 'pre-reconcile'] as const;
type Generation = (typeof GENERATIONS)[number];
const jsonFiles = (dir: Generation): string[] =>
  fs
    .readdirSync(path.join(HISTORY_DIR, dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(dir, f))
    .sort();
const byGeneration = Object.fromEntries(GENERATIONS.map((g) => [g, jsonFiles(g)])) as Record<Generation, string[]>;
const current = byGeneration['.'];
const files = GENERATIONS.flatMap((g) => byGeneration[g]);
const names = (list: string[]) => list.map((f) => path.basename(f, '.json'));

/** The patch ids a history recorded (`core_patch` markers; their details are JSON `{ id, deprecated }`). */
function patchIds(file: string): string[] {
  return loadHistory(file).events.flatMap((e) =>
    Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap((payloads) =>
      (payloads.payloads ?? []).map(
        (p) => (JSON.parse(Buffer.from(p.data ?? []).toString('utf8')) as { id: string }).id,
      ),
    ),
  );
}
const withPatch = (list: string[], id: string): string[] => list.filter((f) => patchIds(f).includes(id));

/** Every path of the lifecycle that each generation since the reconcile change recorded. */
const RECONCILE_PATHS = [
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
];

describe('replay of committed histories', () => {
  beforeAll(() => quietRuntime());

  it('has a history for every path of the workflow, in every generation since the reconcile change', () => {
    expect(names(current)).toEqual(expect.arrayContaining([...RECONCILE_PATHS, 'cancel-requested', 'raw-start-paid']));
    expect(names(byGeneration['pre-attributes-at-start'])).toEqual(expect.arrayContaining(RECONCILE_PATHS));
    expect(names(byGeneration['pre-strict-input'])).toEqual(expect.arrayContaining(RECONCILE_PATHS));
  });

  it('keeps the histories recorded before the pay window and the confirming queries', () => {
    expect(names(byGeneration['pre-reconcile'])).toEqual(
      expect.arrayContaining([
        'reversed',
        'cancelled-floor',
        'transient-retries',
        'reverse-rejected-retry',
        'retries-exhausted-resolved',
        'compensation-failed-retry',
      ]),
    );
    // Those reversed blind (no marker); the later ones that reversed went through the queries (marker present).
    expect(byGeneration['pre-reconcile'].flatMap(patchIds)).toEqual([]);
    expect(patchIds('pre-strict-input/reversed.json')).toEqual([Patches.RECONCILE_BY_QUERY]);
  });

  it('pins each generation by its markers: the current one records one marker, the one before three', () => {
    for (const file of current) expect({ file, ids: patchIds(file) }).toEqual({ file, ids: ['attributes-at-start'] });
    const before = byGeneration['pre-attributes-at-start'];
    expect(withPatch(before, Patches.ATTRIBUTES_AT_START)).toEqual([]);
    expect(withPatch(before, Patches.STRICT_INPUT)).toEqual(before);
    expect(names(withPatch(before, Patches.WECHATPAY_TASK_QUEUE))).toEqual(expect.arrayContaining(['reversed']));
    expect(patchIds('pre-attributes-at-start/reversed.json')).toEqual([
      Patches.STRICT_INPUT,
      Patches.RECONCILE_BY_QUERY,
      Patches.WECHATPAY_TASK_QUEUE,
    ]);
    expect(withPatch(byGeneration['pre-strict-input'], Patches.STRICT_INPUT)).toEqual([]);
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
    const history = loadHistory(path.join('pre-reconcile', 'reversed.json'));
    // A history whose first activity was another one than the code schedules must be refused.
    const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes)!;
    scheduled.activityTaskScheduledEventAttributes!.activityType = { name: 'refundCombineOrder' };
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, history, 'tampered'),
    ).rejects.toThrow(/[Nn]ondetermin/);
  });
});
