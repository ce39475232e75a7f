/**
 * `node --import tsx tools/bench/levers.ts [--latency]`: the product's workflow code with one lever applied, measured
 * beside the build's own code (and the ceiling), for issue 25. Variants (`LEVER_VARIANTS`, comma-separated; default
 * all): `product` (the build's bundle), `ceiling` (the bench's ceiling workflow; first-task mode only), and each entry
 * of {@link LEVERS}: the compiled workflow code with one change, bundled apart. A lever that is only a probe (it
 * removes something the product needs) says so. Variants run interleaved, round after round (`LEVER_ROUNDS`, default
 * 3), so a machine that slows down slows every variant alike.
 *
 * - default mode, the first workflow task: `LEVER_ORDERS` orders (default 600) wait on a task queue nobody polls, far
 *   from their deadline; then one worker process starts on it, takes them all in and goes idle. Its CPU from polling
 *   to idle, less its idle rate, divided by the orders, is the cost of one first task (only the worker is counted).
 * - `--latency`: timer fired → first WeChat Pay request (p50/p99), orders due at `LEVER_RATE`/s (default 11) for
 *   `LEVER_SECONDS` (default 10), with the bench's latency phase (`phases/latency.ts`).
 * - `--reversed [--engine cluster]`: a batch of `LEVER_ORDERS` orders falling due together per round and variant, on
 *   a fresh worker (the bench's reversed batch, `phases/throughput.ts`): reversed orders/s, worker and server CPU per
 *   order — what an action costs the server as well as the worker, on the dev server or the cluster.
 * - `--flash-sale [--engine cluster]`: per round and variant a flash sale of `LEVER_ORDERS` orders with one deadline
 *   at the default `WECHATPAY_MAX_RPS` (`phases/flash-sale.ts`): deadline → half and → all completed, against the
 *   rate limit's bound, and the worker's CPU per order. Server-side settings a lever needs come with
 *   `BENCH_DYNAMIC_CONFIG` (tools/bench/engine.ts).
 * - `--check`: no stack, nothing measured: applies each lever to the build's `dist/workflows` and bundles it, so a
 *   lever whose text the compiled code no longer contains fails at once (run `npm run build` first).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startOrder } from '../../client';
import { BENCH_PAY_WINDOW, makeOrder, ROOT, startStack, type Stack } from './stack';
import { cpuMs, log, sleepMs, spread } from './util';
import { stopProcess } from '../devstack/dev-server';
import { measureLatency } from './phases/latency';
import { reversedBatch, type Batch } from './phases/throughput';
import type { EngineName } from './engine';
import { measureFlashSale } from './phases/flash-sale';
import { DEFAULT_WECHATPAY_MAX_RPS } from '../../worker/config';

/** One change to the compiled workflow code (`dist/workflows/<file>`, e.g. `order/state.js`): `from` becomes `to`. */
interface Edit {
  file: string;
  from: string;
  to: string;
}

/** A lever: one or more edits that make one change. */
interface Lever {
  edits: Edit[];
  /** A probe removes something the product needs: it only shows what that thing costs. */
  probe: boolean;
  what: string;
}

/** The levers tried (compiled JavaScript, so the replacements match `tsc`'s output). */
export const LEVERS: Readonly<Record<string, Lever>> = {
  'no-phase-metric': {
    edits: [{ file: 'order/state.js', from: 'if (entered)\n            phaseEntered.add(1, { phase });', to: '' }],
    probe: true,
    what: 'the phase counter (a workflow metric: one sink call per phase entered)',
  },
  'no-current-details': {
    edits: [
      {
        file: 'order/state.js',
        from: '(0, workflow_1.setCurrentDetails)(`**${phase}** — ${(0, markdown_1.escapeMarkdown)(waitingFor)}`);',
        to: '',
      },
    ],
    probe: true,
    what: "the Web UI's current details (set on every phase entered)",
  },
  // Was `no-floor-activity` (`payWindowFloor()`, which no longer existed): the floor now comes with the earlier runs in
  // one local activity, `reversingContext()`.
  'no-reversing-context': {
    edits: [
      {
        file: 'order/workflow.js',
        from: 'const context = await reversingContext();',
        to: 'const context = { payWindowFloorMs: 0, earlierRuns: [], reverseSentByEarlierRun: false };',
      },
    ],
    probe: true,
    what: 'the local activity that reads the pay window floor and the earlier runs when the order enters REVERSING',
  },
  'no-phase-upserts': {
    edits: [
      {
        file: 'order/state.js',
        from: '(0, workflow_1.upsertSearchAttributes)([{ key: contract_1.PaymentPhaseKey, value: phase }]);',
        to: '',
      },
    ],
    probe: true,
    what: 'the `PaymentPhase` upserts (3 of a reversed order: REVERSING, COMPENSATING, REVERSED)',
  },
  'step-priority': {
    edits: [
      {
        file: 'order/wechatpay-steps.js',
        from: "summary: `${purpose === 'CONFIRM' ? 'confirming query' : 'query'} ${spec.combineOutTradeNo}`,",
        to: "summary: `${purpose === 'CONFIRM' ? 'confirming query' : 'query'} ${spec.combineOutTradeNo}`, priority: { priorityKey: purpose === 'CONFIRM' ? 1 : 3 },",
      },
      {
        file: 'order/wechatpay-steps.js',
        from: 'summary: `reverse ${spec.combineOutTradeNo}`,',
        to: 'summary: `reverse ${spec.combineOutTradeNo}`, priority: { priorityKey: 2 },',
      },
      {
        file: 'order/compensation.js',
        from: 'summary: `compensate sub-order ${outTradeNo}`,',
        to: 'summary: `compensate sub-order ${outTradeNo}`, priority: { priorityKey: 1 },',
      },
    ],
    probe: false,
    what: 'Priority keys by step: an order that has begun goes ahead of one that has not (confirming query and compensations 1, reverse 2, first query 3; the server needs `matching.useNewMatcher`)',
  },
  'no-visibility-check': {
    edits: [
      {
        file: 'order/workflow.js',
        from: 'const missing = (0, visibility_1.notSetAtStart)((0, visibility_1.initialSearchAttributes)(spec, this.deadline), info.typedSearchAttributes);',
        to: 'const missing = [];',
      },
    ],
    probe: true,
    what: 'the check that the start carried every search attribute',
  },
};

const LATENCY = process.argv.includes('--latency');
const REVERSED = process.argv.includes('--reversed');
const FLASH_SALE = process.argv.includes('--flash-sale');
const ENGINE: EngineName = process.argv.includes('cluster') ? 'cluster' : 'dev-server';
const CHECK = process.argv.includes('--check');
const ORDERS = Number(process.env.LEVER_ORDERS ?? 600);
const ROUNDS = Number(process.env.LEVER_ROUNDS ?? 3);
const RATE = Number(process.env.LEVER_RATE ?? 11);
const SECONDS = Number(process.env.LEVER_SECONDS ?? 10);
const ALL = ['product', ...(LATENCY || REVERSED || FLASH_SALE ? [] : ['ceiling']), ...Object.keys(LEVERS)];
const VARIANTS = (process.env.LEVER_VARIANTS ?? ALL.join(','))
  .split(',')
  .map((v) => v.trim())
  .filter(Boolean);

/** `median (min–max)` of `values`, rounded to `digits`. */
function medianRange(values: number[], digits = 2): string {
  const s = spread(values, digits);
  return `${s.median} (${s.min}–${s.max})`;
}

/**
 * A fresh product worker for one variant and round, polling a queue of its own (`<mode>-<variant>-<round>-…`): the
 * variant's bundle, the WeChat Pay rate limit out of the way.
 */
async function variantWorker(stack: Stack, bundles: Map<string, string>, mode: string, v: string, round: number) {
  const queue = `${mode}-${v}-${round}-${Date.now().toString(36)}`;
  const bundle = bundles.get(v);
  const extra = { WECHATPAY_MAX_RPS: '10000', ...(bundle ? { WORKFLOW_BUNDLE_PATH: bundle } : {}) };
  const child = await stack.worker('dist/worker/main.js', queue, extra);
  return { child, w: { queue, pid: child.pid!, serverPids: stack.engine.pids(), completed: 0 } };
}

/** Bundles the compiled workflow code with one lever applied; returns the bundle's path. */
async function leverBundle(name: string, lever: Lever, work: string): Promise<string> {
  const source = path.join(ROOT, 'dist', 'workflows');
  const copy = path.join(ROOT, 'dist', '.levers', name, 'workflows');
  fs.rmSync(copy, { recursive: true, force: true });
  fs.cpSync(source, copy, { recursive: true });
  for (const edit of lever.edits) {
    const file = path.join(copy, edit.file);
    const code = fs.readFileSync(file, 'utf8');
    if (!code.includes(edit.from)) throw new Error(`lever ${name}: ${edit.file} does not contain the text to change`);
    fs.writeFileSync(file, code.split(edit.from).join(edit.to));
  }
  const silent = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
  const { code: bundle } = await bundleWorkflowCode({ workflowsPath: require.resolve(copy), logger: silent });
  const out = path.join(work, `bundle-${name}.js`);
  fs.writeFileSync(out, bundle);
  return out;
}

/** Starts `n` orders (or ceiling workflows) on `queue`, due in an hour. */
async function placeBacklog(stack: Stack, variant: string, queue: string, n: number): Promise<void> {
  const due = Date.now() + 3_600_000;
  const tag = `${queue}-${Date.now().toString(36)}`.toUpperCase().replace(/[^A-Z0-9]/g, '');
  for (let i = 0; i < n; i += 32) {
    await Promise.all(
      Array.from({ length: Math.min(32, n - i) }, async (_, j) => {
        const k = String(i + j).padStart(5, '0');
        if (variant === 'ceiling') {
          const workflowId = `ft-${tag}-${k}`;
          await stack.client.workflow.start('ceilingWorkflow', { taskQueue: queue, workflowId, args: [due] });
        } else {
          await startOrder(stack.client, makeOrder(`FT${tag.slice(-16)}${k}`, due), {
            taskQueue: queue,
            minPayWindow: BENCH_PAY_WINDOW,
          });
        }
      }),
    );
  }
}

/** Worker CPU per first task: from polling to 3 idle seconds, less the idle rate measured after. */
async function measureVariant(stack: Stack, variant: string, bundles: Map<string, string>, round: number) {
  const queue = `ft-${variant}-${round}-${Date.now().toString(36)}`;
  await placeBacklog(stack, variant, queue, ORDERS);
  const script = variant === 'ceiling' ? 'tools/bench/ceilings/worker.ts' : 'dist/worker/main.js';
  const bundle = bundles.get(variant);
  const child = await stack.worker(script, queue, bundle ? { WORKFLOW_BUNDLE_PATH: bundle } : {});
  const pid = child.pid!;
  const began = Date.now();
  const cpu0 = cpuMs(pid);
  let last = cpu0;
  let lastAt = began;
  for (let idle = 0; idle < 3;) {
    await sleepMs(1_000);
    const now = cpuMs(pid);
    idle = now - last <= 30 ? idle + 1 : 0;
    if (idle === 0) lastAt = Date.now();
    last = now;
  }
  const busyMs = lastAt - began;
  const idleRate = (cpuMs(pid) - last) / 1_000 || 0;
  const cpu = last - cpu0 - idleRate * (busyMs / 1_000);
  await stopProcess(child, 10_000);
  return { perTaskMs: cpu / ORDERS };
}

/** First-task mode: the rounds, then one table cell per variant. */
async function firstTaskRounds(stack: Stack, bundles: Map<string, string>): Promise<Map<string, string>> {
  const samples = new Map<string, number[]>(VARIANTS.map((v) => [v, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const v of VARIANTS) {
      const m = await measureVariant(stack, v, bundles, round);
      samples.get(v)!.push(m.perTaskMs);
      log(`round ${round} ${v}: ${m.perTaskMs.toFixed(2)} ms of worker CPU per first task`);
    }
  }
  return new Map(
    [...samples].map(([v, list]) => {
      return [v, medianRange(list)];
    }),
  );
}

/** Latency mode: per round and variant a fresh worker, orders due at {@link RATE}/s; one table cell per variant. */
async function latencyRounds(stack: Stack, bundles: Map<string, string>): Promise<Map<string, string>> {
  const samples = new Map<string, { p50: number; p99: number; cpuPerOrder: number }[]>(VARIANTS.map((v) => [v, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const v of VARIANTS) {
      const { child, w } = await variantWorker(stack, bundles, 'lat', v, round);
      const cpu0 = cpuMs(w.pid);
      const result = await measureLatency(stack, w, RATE, SECONDS);
      const cpuPerOrder = (cpuMs(w.pid) - cpu0) / result.orders;
      await stopProcess(child, 10_000);
      const { p50TimerToFirstCallMs: p50, p99TimerToFirstCallMs: p99 } = result;
      samples.get(v)!.push({ p50, p99, cpuPerOrder });
      log(
        `round ${round} ${v}: timer → first call p50 ${p50} ms, p99 ${p99} ms; ${cpuPerOrder.toFixed(1)} ms CPU/order`,
      );
    }
  }
  return new Map(
    [...samples].map(([v, list]) => {
      const median = (pick: (s: (typeof list)[number]) => number, digits: number): number =>
        spread(list.map(pick), digits).median;
      return [v, `${median((s) => s.p50, 0)} / ${median((s) => s.p99, 0)} · ${median((s) => s.cpuPerOrder, 1)}`];
    }),
  );
}

/** Reversed mode: per round and variant a fresh worker and one reversed batch; one table cell per variant. */
async function reversedRounds(stack: Stack, bundles: Map<string, string>): Promise<Map<string, string>> {
  const samples = new Map<string, Batch[]>(VARIANTS.map((v) => [v, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const v of VARIANTS) {
      const { child, w } = await variantWorker(stack, bundles, 'rev', v, round);
      const tag = `${v
        .replace(/[^a-z]/g, '')
        .slice(0, 6)
        .toUpperCase()}${round}${Date.now().toString(36).toUpperCase()}`;
      await reversedBatch(stack, w, `${tag}W`, Math.min(20, ORDERS)); // warm the fresh worker
      const batch = await reversedBatch(stack, w, tag, ORDERS);
      await stopProcess(child, 10_000);
      samples.get(v)!.push(batch);
      log(
        `round ${round} ${v}: ${batch.perSec.toFixed(1)} reversed/s; CPU per order worker ${batch.cpuMsPerOrder.toFixed(1)} ms, server ${batch.serverCpuMsPerOrder.toFixed(1)} ms`,
      );
    }
  }
  return new Map(
    [...samples].map(([v, list]) => {
      const cell = (pick: (b: Batch) => number): string => medianRange(list.map(pick), 1);
      return [v, `${cell((b) => b.perSec)} · ${cell((b) => b.cpuMsPerOrder)} · ${cell((b) => b.serverCpuMsPerOrder)}`];
    }),
  );
}

/** Flash-sale mode: per round and variant a sale on a fresh worker; one table cell per variant. */
async function flashSaleRounds(stack: Stack, bundles: Map<string, string>): Promise<Map<string, string>> {
  const maxRps = Number(process.env.WECHATPAY_MAX_RPS ?? DEFAULT_WECHATPAY_MAX_RPS);
  const sizes = { orders: ORDERS, subMerchants: 20, maxRps, waitSec: Math.ceil((4 * ORDERS * 3) / maxRps) + 120 };
  const samples = new Map<string, { half: number; all: number; cpu: number }[]>(VARIANTS.map((v) => [v, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const v of VARIANTS) {
      const bundle = bundles.get(v);
      const queue = `sale-${v}-${round}-${Date.now().toString(36)}`;
      const sale = await measureFlashSale(stack, sizes, {
        queue,
        workerEnv: bundle ? { WORKFLOW_BUNDLE_PATH: bundle } : {},
      });
      const all = sale.lastCompletedSec ?? NaN;
      samples.get(v)!.push({ half: sale.p50CompletedSec, all, cpu: sale.workerCpuMsPerOrder });
      log(`round ${round} ${v}: half ${sale.p50CompletedSec} s, all ${all} s (bound ${sale.boundSec} s)`);
    }
  }
  return new Map(
    [...samples].map(([v, list]) => {
      const cell = (pick: (s: (typeof list)[number]) => number): string => medianRange(list.map(pick), 1);
      return [v, `${cell((s) => s.half)} · ${cell((s) => s.all)} · ${cell((s) => s.cpu)}`];
    }),
  );
}

/** The header of the result table's middle column, per mode. */
function modeHeader(engine: string): string {
  if (LATENCY) return 'timer → first call p50 / p99 (ms) · worker CPU per order (ms), medians of rounds';
  if (FLASH_SALE) {
    return `flash sale of ${ORDERS}: deadline → half · → all completed (s) · worker CPU per order (ms), median (min–max), ${engine}`;
  }
  if (REVERSED) return `reversed orders/s · worker · server CPU per order (ms), median (min–max), ${engine}`;
  return 'worker CPU per first task, ms (median, min–max)';
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-levers-'));
  if (CHECK) {
    for (const [name, lever] of Object.entries(LEVERS)) {
      await leverBundle(name, lever, work);
      log(`lever ${name}: ${lever.edits.map((e) => e.file).join(', ')} changed and bundled`);
    }
    return;
  }
  const stack = await startStack(work, { engine: ENGINE, eager: false });
  try {
    const bundles = new Map<string, string>();
    for (const v of VARIANTS) {
      const lever = LEVERS[v];
      if (lever) bundles.set(v, await leverBundle(v, lever, work));
      else if (v !== 'product' && v !== 'ceiling') throw new Error(`unknown variant ${v}`);
    }
    const rows = LATENCY
      ? await latencyRounds(stack, bundles)
      : REVERSED
        ? await reversedRounds(stack, bundles)
        : FLASH_SALE
          ? await flashSaleRounds(stack, bundles)
          : await firstTaskRounds(stack, bundles);
    console.log(`\n| variant | ${modeHeader(stack.engine.describe)} | what |\n|---|---|---|`);
    for (const [v, cell] of rows) {
      const lever = LEVERS[v];
      const what = lever ? `${lever.probe ? 'probe: without ' : ''}${lever.what}` : '';
      console.log(`| ${v} | ${cell} | ${what} |`);
    }
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
