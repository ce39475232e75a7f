/**
 * Writes a run's results: tools/bench/results/latest.json, latest.md (the README table) and chart.png (chromium) for
 * the default and full runs; engine-<name>.{json,md} for `--engine`; flash-sale-<engine>.{json,md} for `--flash-sale`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from '../devstack/chromium';
import type { BenchResults, CrashResults, EngineResults, FlashSaleResults, Percentiles, SideResults } from './results';
import type { Spread } from './util';

const ok = (pass: boolean): string => (pass ? 'met' : '**missed**');
const sp = (s: Spread): string => `${s.median} (${s.min}–${s.max})`;
const pp = (p: Percentiles): string => `${p.p50} / ${p.p99}`;

/** The least actions a reversed two-sub-order order needs: start, timer, query, reverse, confirming query, 2 compensations. */
const MIN_REVERSED_ACTIONS = 7;

/** The rows of the side-by-side rounds, on either engine. */
function roundRows(r: EngineResults): string[] {
  const cpu = r.workerCpuMsPerOrder;
  const n = r.settings.pairs;
  return [
    `| \`realRatio\`: reversed lifecycles/s ÷ real-activities ceiling/s, median (min–max) of ${n} rounds | ${sp(r.realRatio)} | ≥ 0.9: ${ok(r.realRatio.median >= 0.9)} |`,
    `| reversed lifecycles/s · real-activities ceiling/s | ${sp(r.reversedVsReal.productPerSec)} · ${sp(r.reversedVsReal.ceilingPerSec)} | |`,
    `| \`ratio\`: reversed lifecycles/s ÷ no-op ceiling/s | ${sp(r.ratio)} (no-op ceiling ${sp(r.reversed.ceilingPerSec)}/s) | report |`,
    `| \`paidRatio\`: paid orders/s (start + markPaid) ÷ start + no-op update/s | ${sp(r.paidRatio)} | ≥ 0.9: ${ok(r.paidRatio.median >= 0.9)} |`,
    `| paid orders/s · ceiling/s | ${sp(r.paid.productPerSec)} · ${sp(r.paid.ceilingPerSec)} | |`,
    `| \`cpuRatioToReal\`: worker CPU per reversed order ÷ the real-activities ceiling's, per round | ${sp(r.cpuRatioToReal)}: ${cpu.reversed} ms vs ${cpu.reversedRealCeiling} ms (no-op ceiling ${cpu.reversedCeiling}) | ≤ 1.2: ${ok(r.cpuRatioToReal.median <= 1.2)} |`,
    `| \`workerCpuMsPerOrder\` paid (ceiling) | ${cpu.paid} (${cpu.paidCeiling}) | report |`,
    `| \`actionsPerOrder\` paid · reversed (${JSON.stringify(r.actionsBreakdown.reversed)}) | ${r.actionsPerOrder.paid} · ${r.actionsPerOrder.reversed} | paid ≤ 4: ${ok(r.actionsPerOrder.paid <= 4)}; reversed ${MIN_REVERSED_ACTIONS} or each extra justified: ${r.actionsPerOrder.reversed - MIN_REVERSED_ACTIONS} extra (tools/bench/README.md) |`,
    `| \`historyEventsPerOrder\` paid · reversed | ${r.historyEventsPerOrder.paid} · ${r.historyEventsPerOrder.reversed} | report |`,
  ];
}

/** The default run's other rows: latency, memory, burst. */
function targetRows(r: BenchResults): string[] {
  return [
    `| \`p99TimerToFirstCallMs\` (timer fired → first WeChat Pay request, at ${r.latency.ratePerSec}/s; p50 ${r.latency.p50TimerToFirstCallMs}) | ${r.p99TimerToFirstCallMs} | ≤ 100: ${ok(r.p99TimerToFirstCallMs <= 100)} |`,
    `| \`p99DeadlineToFirstCallMs\` (p50 ${r.latency.p50DeadlineToFirstCallMs}) | ${r.p99DeadlineToFirstCallMs} | report |`,
    `| of which p50 / p99 (ms): timer late · first call scheduled · its task started · request arrives | ${pp(r.latency.breakdownMs.timerLate)} · ${pp(r.latency.breakdownMs.toFirstCallScheduled)} · ${pp(r.latency.breakdownMs.toFirstCallStarted)} · ${pp(r.latency.breakdownMs.toRequest)} | |`,
    `| activity dispatch hop p50 / p99 (ms) by activity | ${Object.entries(r.latency.dispatchMsByActivity)
      .map(([k, v]) => `${k} ${pp(v)}`)
      .join(' · ')} | |`,
    `| \`workerRssMbAt50k\` (${r.backlog.orders} pending, cache ${r.backlog.maxCachedWorkflows}; idle ${r.backlog.workerRssMbIdle}) | ${r.workerRssMbAt50k} | ≤ 250: ${ok(r.workerRssMbAt50k <= 250)} |`,
    `| \`burst\`: ${r.burst.orders} deadlines in one second → every first WeChat Pay request (ms; p50 ${r.burst.p50DeadlineToFirstCallMs}) | ${r.burst.allFirstCallsMs} | report |`,
    `| burst peak WeChat Pay requests/s (limit ${r.burst.maxRps}) | ${r.burst.peakRequestsPerSec} | under the limit: ${ok(r.burst.underLimit)} |`,
  ];
}

const SIDES = ['product', 'realCeiling', 'ceiling', 'bullmq'] as const;
const dash = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : String(v));

/** The side-by-side table: product, both ceilings and BullMQ, reversed orders, measured in the same run. */
function sideBySideTable(r: EngineResults): string[] {
  const t = r.sideBySide;
  const row = (label: string, cell: (s: SideResults) => string): string =>
    `| ${label} | ${SIDES.map((k) => cell(t[k])).join(' | ')} |`;
  const b = t.bullmqSettings;
  return [
    `| reversed orders, same run, interleaved | product | real-activities ceiling | no-op ceiling (bare Temporal) | BullMQ ${b.bullmq} on Redis ${b.redis} |`,
    `|---|---|---|---|---|`,
    row(`orders/s at saturation, median (min–max) of ${r.settings.pairs} rounds`, (s) => sp(s.reversedPerSec)),
    ...(t.latencyRatePerSec === null
      ? []
      : [
          row(`deadline → first WeChat Pay request p50 / p99 (ms), at ${t.latencyRatePerSec}/s`, (s) =>
            s.deadlineToFirstCallMs ? pp(s.deadlineToFirstCallMs) : '– (not measured)',
          ),
          row('p99 deadline → order finished (ms)', (s) => dash(s.p99DeadlineToCompletionMs)),
        ]),
    row(
      'machine CPU per order (ms): worker + server = total',
      (s) => `${s.cpuMsPerOrder.worker} + ${s.cpuMsPerOrder.server} = ${s.cpuMsPerOrder.machine}`,
    ),
    row('memory after a round (MB): worker RSS · server PSS', (s) => `${s.rssMb.worker} · ${s.rssMb.server}`),
    '',
    `Servers: the Temporal ${r.engine} for the product and the ceilings; redis-server \`${b.persistence}\` for BullMQ. BullMQ worker: concurrency ${b.concurrency}, ${b.attempts} attempts, backoff ${b.backoff}; lock ${b.lockDurationMs} ms, stalled check every ${b.stalledIntervalMs} ms, at most ${b.maxStalledCount} stall (BullMQ's defaults).`,
  ];
}

/** The crash table: kill -9 of the worker mid-burst, product and BullMQ. */
function crashTable(r: BenchResults): string[] {
  const { product, bullmq } = r.crash;
  const row = (label: string, cell: (c: CrashResults) => string): string =>
    `| ${label} | ${cell(product)} | ${cell(bullmq)} |`;
  return [
    `| kill -9 of the worker mid-burst, then restart | product | BullMQ |`,
    `|---|---|---|`,
    row('orders (deadlines over ms)', (c) => `${c.orders} (${c.spreadMs})`),
    row(
      'killed after the first deadline (ms) · orders ended · in flight · reversed by then',
      (c) => `${c.killedAfterMs} · ${c.finishedBeforeKill} · ${c.inFlightAtKill} · ${c.reversesBeforeKill}`,
    ),
    row('**reversals lost**', (c) => `**${c.lost}**`),
    row('orders whose reverse was sent twice', (c) => String(c.reverseSentTwice)),
    row('sub-orders whose compensation was sent twice', (c) => String(c.compensationSentTwice)),
    row('reverse · compensation requests in all', (c) => `${c.reverseRequests} · ${c.compensationRequests}`),
    row('jobs found stalled and run again', (c) => dash(c.stalled)),
    row('every order ended, after the restart (ms)', (c) =>
      c.settledMs === null ? 'not within the bound' : String(c.settledMs),
    ),
  ];
}

/** The run's closing lines: machine, settings, profile, engine. */
function runLine(r: EngineResults): string {
  return `Machine: ${r.machine.cpus} × ${r.machine.cpuModel ?? '?'}, ${r.machine.memoryGb} GB, Node ${r.machine.node}, ${r.machine.temporalCli}; load ${r.load.before} → ${r.load.after}. Engine: ${r.engine}. Eager activity dispatch ${r.settings.eagerActivityDispatch ? 'on' : 'off'}; ${r.settings.ordersPerBatch} orders per batch; workers started with \`${r.settings.workerNodeFlags.join(' ')}\`. Profile \`${r.profile}\`; run took ${r.durationSec} s on ${r.date}.`;
}

/** The README table of an `--engine` run: the side-by-side rounds only. */
function engineMarkdown(r: EngineResults): string {
  return [
    `| measure | value | target |`,
    `|---|---|---|`,
    ...roundRows(r),
    '',
    ...sideBySideTable(r),
    '',
    runLine(r),
    '',
  ].join('\n');
}

/** The README table of a run. */
export function markdown(r: BenchResults): string {
  const s = r.signing;
  return [
    `| measure | value | target |`,
    `|---|---|---|`,
    ...roundRows(r),
    ...targetRows(r),
    `| backlog starts/s · every first workflow task done, orders/s (one worker) · dev-server database (MB) | ${r.backlog.startsPerSec} · ${r.backlog.firstTasksPerSec} · ${r.backlog.devServerDbMb} | |`,
    `| CPU per signed reverse call · raw RSA-2048 sign (openssl) · in Node · bare keep-alive axios POST (ms) | ${s.cpuPerReverseCallMs} · ${s.rawRsa2048SignMs} · ${s.nodeRsa2048SignMs} · ${s.bareAxiosPostMs} | |`,
    '',
    ...sideBySideTable(r),
    '',
    ...crashTable(r),
    '',
    `Actions per order by kind — paid: ${JSON.stringify(r.actionsBreakdown.paid)}; reversed: ${JSON.stringify(r.actionsBreakdown.reversed)}.`,
    '',
    runLine(r),
    '',
  ].join('\n');
}

const COLORS: Record<(typeof SIDES)[number], string> = {
  product: '#4f6bed',
  realCeiling: '#2a9d8f',
  ceiling: '#9aa5b1',
  bullmq: '#e4572e',
};
const LABELS: Record<(typeof SIDES)[number], string> = {
  product: 'product',
  realCeiling: 'real-activities ceiling',
  ceiling: 'no-op ceiling',
  bullmq: 'BullMQ + Redis',
};

/** Grouped bars: one group per measure, one bar per side (each group scaled to its own largest value). */
function groupedBars(r: BenchResults): string {
  const t = r.sideBySide;
  const groups: [string, (s: SideResults) => number | undefined][] = [
    ['reversed orders/s', (s) => s.reversedPerSec.median],
    ['p99 deadline → first call (ms)', (s) => s.deadlineToFirstCallMs?.p99],
    ['machine CPU per order (ms)', (s) => s.cpuMsPerOrder.machine],
    ['worker RSS (MB)', (s) => s.rssMb.worker],
    ['server memory, PSS (MB)', (s) => s.rssMb.server],
  ];
  return groups
    .map(([label, value], g) => {
      const values = SIDES.map((k) => value(t[k]));
      const max = Math.max(1, ...values.map((v) => v ?? 0));
      const y = 70 + g * 102;
      const bars = values
        .map((v, i) => {
          const w = v === undefined ? 0 : Math.max(2, (v / max) * 480);
          const by = y + i * 22;
          const text = v === undefined ? '– (not measured)' : String(v);
          return `<rect x="250" y="${by}" width="${w}" height="18" fill="${COLORS[SIDES[i]!]}"/><text x="${258 + w}" y="${by + 14}" font-size="13">${text}</text>`;
        })
        .join('');
      return `<text x="10" y="${y + 38}" font-size="15">${label}</text>${bars}`;
    })
    .join('');
}

/** The side-by-side chart (product, ceiling, BullMQ) with the crash counts, rendered by chromium. */
async function chart(r: BenchResults, file: string): Promise<void> {
  const { product, bullmq } = r.crash;
  const legend = SIDES.map(
    (k, i) =>
      `<rect x="${180 + i * 190}" y="40" width="14" height="14" fill="${COLORS[k]}"/><text x="${200 + i * 190}" y="52" font-size="14">${LABELS[k]}</text>`,
  ).join('');
  const crash = (name: string, c: CrashResults): string =>
    `kill -9 mid-burst (${c.orders} orders), ${name}: ${c.lost} reversals lost; sent twice: ${c.reverseSentTwice} reverses, ${c.compensationSentTwice} compensations${c.stalled !== undefined ? `; ${c.stalled} jobs stalled` : ''}`;
  const lines = [
    crash('product', product),
    crash('BullMQ', bullmq),
    `product vs real-activities ceiling: ${r.realRatio.median} (CPU ${r.cpuRatioToReal.median}×); vs no-op ceiling ${r.ratio.median}; paidRatio ${r.paidRatio.median}; actions paid · reversed ${r.actionsPerOrder.paid} · ${r.actionsPerOrder.reversed}; ${r.durationSec} s`,
  ];
  const height = 70 + 5 * 102 + 20 + lines.length * 22;
  const footer = lines
    .map((l, i) => `<text x="10" y="${height - 14 - (lines.length - 1 - i) * 22}" font-size="14">${l}</text>`)
    .join('');
  const title = `combine-papay-timeout: product, its ceilings and BullMQ, reversed orders, same run (${r.machine.cpus} cores, dev server)`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="960" height="${height}" font-family="sans-serif"><rect width="960" height="${height}" fill="white"/><text x="10" y="26" font-size="17" font-weight="bold">${title}</text>${legend}${groupedBars(r)}${footer}</svg>`;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 960, height } });
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    await page.screenshot({ path: file });
  } finally {
    await browser.close();
  }
}

/** Writes latest.json, latest.md and chart.png into `dir`. */
export async function writeReport(r: BenchResults, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(r, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'latest.md'), markdown(r));
  await chart(r, path.join(dir, 'chart.png'));
  console.log(`\n${markdown(r)}`);
}

/** The engine name in a file name (`dev-server`, `cluster`), from the report's engine description. */
const engineSlug = (r: { engine: string }): string => (r.engine.startsWith('cluster') ? 'cluster' : 'dev-server');

/** Writes engine-<name>.json and .md into `dir` (an `--engine` run). */
export async function writeEngineReport(r: EngineResults, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `engine-${engineSlug(r)}`);
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(r, null, 2)}\n`);
  fs.writeFileSync(`${base}.md`, engineMarkdown(r));
  console.log(`\n${engineMarkdown(r)}`);
}

/** The README table of a flash sale. */
function flashSaleMarkdown(r: FlashSaleResults): string {
  const met = r.ratioToBound !== null && r.ratioToBound <= 1.1;
  const m = r.subMerchantLastSec;
  return [
    `| flash sale: ${r.orders} orders, one deadline, ${r.subMerchants.length} sub-merchants, WECHATPAY_MAX_RPS ${r.maxRps} | value | target |`,
    `|---|---|---|`,
    `| deadline → last order reversed and compensated (s) · the rate limit's bound, ${r.orders} × 3 calls ÷ ${r.maxRps}/s (s) | ${r.lastCompletedSec ?? `not all (${r.completed} completed)`} · ${r.boundSec} | |`,
    `| ratio to the bound | ${r.ratioToBound ?? '–'} | ≤ 1.1: ${ok(met)} |`,
    `| deadline → half of the orders completed (s) · worker CPU per order (ms) | ${r.p50CompletedSec} · ${r.workerCpuMsPerOrder} | report |`,
    `| peak WeChat Pay requests/s at the simulator | ${r.peakRequestsPerSec} | ≤ ${r.maxRps}: ${ok(r.peakRequestsPerSec <= r.maxRps)} |`,
    `| sub-merchants' last completion (s): earliest · median · latest | ${m.min} · ${m.median} · ${m.max} | report |`,
    `| sub-merchants' median completion (s): earliest · latest | ${Math.min(...r.subMerchants.map((s) => s.p50Sec))} · ${Math.max(...r.subMerchants.map((s) => s.p50Sec))} | report |`,
    `| every order started (s; the deadline left room for it) | ${r.startSec} | |`,
    '',
    `Machine: ${r.machine.cpus} × ${r.machine.cpuModel ?? '?'}, ${r.machine.memoryGb} GB, Node ${r.machine.node}; load ${r.load.before} → ${r.load.after}. Engine: ${r.engine}. Run took ${r.durationSec} s on ${r.date}.`,
    '',
  ].join('\n');
}

/** Writes flash-sale-<engine>.json and .md into `dir`. */
export async function writeFlashSaleReport(r: FlashSaleResults, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `flash-sale-${engineSlug(r)}`);
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(r, null, 2)}\n`);
  fs.writeFileSync(`${base}.md`, flashSaleMarkdown(r));
  console.log(`\n${flashSaleMarkdown(r)}`);
}
