/** Writes a run's results: tools/bench/results/latest.json, latest.md (the README table) and chart.png (chromium). */
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from '../devstack/chromium';
import type { BenchResults, CrashResults, Percentiles, SideResults } from './results';
import type { Spread } from './util';

const ok = (pass: boolean): string => (pass ? 'met' : '**missed**');
const sp = (s: Spread): string => `${s.median} (${s.min}–${s.max})`;
const pp = (p: Percentiles): string => `${p.p50} / ${p.p99}`;

function targetRows(r: BenchResults): string[] {
  const cpu = r.workerCpuMsPerOrder;
  return [
    `| \`ratio\`: reversed lifecycles/s ÷ same-shape ceiling/s, median (min–max) of ${r.settings.pairs} pairs | ${sp(r.ratio)} | ≥ 0.9: ${ok(r.ratio.median >= 0.9)} |`,
    `| reversed lifecycles/s · ceiling/s | ${sp(r.reversed.productPerSec)} · ${sp(r.reversed.ceilingPerSec)} | |`,
    `| \`paidRatio\`: paid orders/s (start + markPaid) ÷ start + no-op update/s | ${sp(r.paidRatio)} | ≥ 0.9: ${ok(r.paidRatio.median >= 0.9)} |`,
    `| paid orders/s · ceiling/s | ${sp(r.paid.productPerSec)} · ${sp(r.paid.ceilingPerSec)} | |`,
    `| \`p99TimerToFirstCallMs\` (timer fired → first WeChat Pay request, at ${r.latency.ratePerSec}/s; p50 ${r.latency.p50TimerToFirstCallMs}) | ${r.p99TimerToFirstCallMs} | ≤ 100: ${ok(r.p99TimerToFirstCallMs <= 100)} |`,
    `| \`p99DeadlineToFirstCallMs\` (p50 ${r.latency.p50DeadlineToFirstCallMs}) | ${r.p99DeadlineToFirstCallMs} | report |`,
    `| of which p50 / p99 (ms): timer late · first call scheduled · its task started · request arrives | ${pp(r.latency.breakdownMs.timerLate)} · ${pp(r.latency.breakdownMs.toFirstCallScheduled)} · ${pp(r.latency.breakdownMs.toFirstCallStarted)} · ${pp(r.latency.breakdownMs.toRequest)} | |`,
    `| activity dispatch hop p50 / p99 (ms) by activity | ${Object.entries(r.latency.dispatchMsByActivity)
      .map(([k, v]) => `${k} ${pp(v)}`)
      .join(' · ')} | |`,
    `| \`actionsPerOrder\` paid · reversed | ${r.actionsPerOrder.paid} · ${r.actionsPerOrder.reversed} | paid ≤ 4: ${ok(r.actionsPerOrder.paid <= 4)} |`,
    `| \`historyEventsPerOrder\` paid · reversed | ${r.historyEventsPerOrder.paid} · ${r.historyEventsPerOrder.reversed} | report |`,
    `| \`workerCpuMsPerOrder\` paid (ceiling) · reversed (ceiling) | ${cpu.paid} (${cpu.paidCeiling}) · ${cpu.reversed} (${cpu.reversedCeiling}) | reversed ≤ 1.5× ceiling: ${ok(cpu.reversed <= 1.5 * cpu.reversedCeiling)} |`,
    `| \`workerRssMbAt50k\` (${r.backlog.orders} pending, cache ${r.backlog.maxCachedWorkflows}; idle ${r.backlog.workerRssMbIdle}) | ${r.workerRssMbAt50k} | ≤ 250: ${ok(r.workerRssMbAt50k <= 250)} |`,
    `| \`burst\`: ${r.burst.orders} deadlines in one second → every first WeChat Pay request (ms; p50 ${r.burst.p50DeadlineToFirstCallMs}) | ${r.burst.allFirstCallsMs} | report |`,
    `| burst peak WeChat Pay requests/s (limit ${r.burst.maxRps}) | ${r.burst.peakRequestsPerSec} | under the limit: ${ok(r.burst.underLimit)} |`,
  ];
}

const SIDES = ['product', 'ceiling', 'bullmq'] as const;
const dash = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : String(v));

/** The side-by-side table: product, ceiling and BullMQ, reversed orders, measured in the same run. */
function sideBySideTable(r: BenchResults): string[] {
  const t = r.sideBySide;
  const row = (label: string, cell: (s: SideResults) => string): string =>
    `| ${label} | ${SIDES.map((k) => cell(t[k])).join(' | ')} |`;
  const b = t.bullmqSettings;
  return [
    `| reversed orders, same run, interleaved | product | ceiling (bare Temporal) | BullMQ ${b.bullmq} on Redis ${b.redis} |`,
    `|---|---|---|---|`,
    row(`orders/s at saturation, median (min–max) of ${r.settings.pairs} rounds`, (s) => sp(s.reversedPerSec)),
    row(`deadline → first WeChat Pay request p50 / p99 (ms), at ${t.latencyRatePerSec}/s`, (s) =>
      s.deadlineToFirstCallMs ? pp(s.deadlineToFirstCallMs) : '– (no call)',
    ),
    row('p99 deadline → order finished (ms)', (s) => dash(s.p99DeadlineToCompletionMs)),
    row(
      'machine CPU per order (ms): worker + server = total',
      (s) => `${s.cpuMsPerOrder.worker} + ${s.cpuMsPerOrder.server} = ${s.cpuMsPerOrder.machine}`,
    ),
    row('RSS after a round (MB): worker · server', (s) => `${s.rssMb.worker} · ${s.rssMb.server}`),
    '',
    `Servers: the Temporal dev server (SQLite, WAL, no fsync) for the product and the ceiling; redis-server \`${b.persistence}\` for BullMQ. BullMQ worker: concurrency ${b.concurrency}, ${b.attempts} attempts, backoff ${b.backoff}; lock ${b.lockDurationMs} ms, stalled check every ${b.stalledIntervalMs} ms, at most ${b.maxStalledCount} stall (BullMQ's defaults).`,
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

/** The README table of a run. */
export function markdown(r: BenchResults): string {
  const s = r.signing;
  return [
    `| measure | value | target |`,
    `|---|---|---|`,
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
    `Machine: ${r.machine.cpus} × ${r.machine.cpuModel ?? '?'}, ${r.machine.memoryGb} GB, Node ${r.machine.node}, ${r.machine.temporalCli}; load ${r.load.before} → ${r.load.after}. Eager activity dispatch ${r.settings.eagerActivityDispatch ? 'on' : 'off'}; ${r.settings.ordersPerBatch} orders per batch; workers started with \`${r.settings.workerNodeFlags.join(' ')}\`. Profile \`${r.profile}\`; run took ${r.durationSec} s on ${r.date}.`,
    '',
  ].join('\n');
}

const COLORS: Record<(typeof SIDES)[number], string> = { product: '#4f6bed', ceiling: '#9aa5b1', bullmq: '#e4572e' };

/** Grouped bars: one group per measure, one bar per side (each group scaled to its own largest value). */
function groupedBars(r: BenchResults): string {
  const t = r.sideBySide;
  const groups: [string, (s: SideResults) => number | undefined][] = [
    ['reversed orders/s', (s) => s.reversedPerSec.median],
    ['p99 deadline → first call (ms)', (s) => s.deadlineToFirstCallMs?.p99],
    ['machine CPU per order (ms)', (s) => s.cpuMsPerOrder.machine],
    ['worker RSS (MB)', (s) => s.rssMb.worker],
    ['server RSS (MB)', (s) => s.rssMb.server],
  ];
  return groups
    .map(([label, value], g) => {
      const values = SIDES.map((k) => value(t[k]));
      const max = Math.max(1, ...values.map((v) => v ?? 0));
      const y = 70 + g * 80;
      const bars = values
        .map((v, i) => {
          const w = v === undefined ? 0 : Math.max(2, (v / max) * 480);
          const by = y + i * 22;
          const text = v === undefined ? '– (no call)' : String(v);
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
      `<rect x="${250 + i * 170}" y="40" width="14" height="14" fill="${COLORS[k]}"/><text x="${270 + i * 170}" y="52" font-size="14">${k === 'ceiling' ? 'ceiling (bare Temporal)' : k === 'bullmq' ? 'BullMQ + Redis' : 'product'}</text>`,
  ).join('');
  const crash = (name: string, c: CrashResults): string =>
    `kill -9 mid-burst (${c.orders} orders), ${name}: ${c.lost} reversals lost; sent twice: ${c.reverseSentTwice} reverses, ${c.compensationSentTwice} compensations${c.stalled !== undefined ? `; ${c.stalled} jobs stalled` : ''}`;
  const lines = [
    crash('product', product),
    crash('BullMQ', bullmq),
    `product vs ceiling: ratio ${r.ratio.median}, paidRatio ${r.paidRatio.median}, p99 timer → call ${r.p99TimerToFirstCallMs} ms, ${r.actionsPerOrder.paid} actions per paid order; profile ${r.profile}, ${r.durationSec} s`,
  ];
  const height = 70 + 5 * 80 + 20 + lines.length * 22;
  const footer = lines
    .map((l, i) => `<text x="10" y="${height - 14 - (lines.length - 1 - i) * 22}" font-size="14">${l}</text>`)
    .join('');
  const title = `combine-papay-timeout: product, bare Temporal and BullMQ, reversed orders, same run (${r.machine.cpus} cores)`;
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
