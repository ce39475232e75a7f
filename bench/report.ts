/** Writes a run's results: bench/results/latest.json, latest.md (the README table) and chart.png (chromium). */
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from '../devstack/chromium';
import type { BenchResults, Percentiles } from './results';
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
    `Actions per order by kind — paid: ${JSON.stringify(r.actionsBreakdown.paid)}; reversed: ${JSON.stringify(r.actionsBreakdown.reversed)}.`,
    '',
    `Machine: ${r.machine.cpus} × ${r.machine.cpuModel ?? '?'}, ${r.machine.memoryGb} GB, Node ${r.machine.node}, ${r.machine.temporalCli}; load ${r.load.before} → ${r.load.after}. Eager activity dispatch ${r.settings.eagerActivityDispatch ? 'on' : 'off'}; ${r.settings.ordersPerBatch} orders per batch; workers started with \`${r.settings.workerNodeFlags.join(' ')}\`. Run took ${r.durationSec} s on ${r.date}.`,
    '',
  ].join('\n');
}

/** A bar chart of the headline numbers, rendered by chromium. */
async function chart(r: BenchResults, file: string): Promise<void> {
  const bars: [string, number, string][] = [
    ['ratio (reversed) ×100', Math.round(r.ratio.median * 100), '#4f6bed'],
    ['paidRatio ×100', Math.round(r.paidRatio.median * 100), '#9aa5b1'],
    ['p99 timer → call (ms)', r.p99TimerToFirstCallMs, '#2bb673'],
    ['p99 deadline → call (ms)', r.p99DeadlineToFirstCallMs, '#f59e0b'],
    ['actions/order paid ×10', Math.round(r.actionsPerOrder.paid * 10), '#e4572e'],
    ['worker RSS at 50k (MB)', r.workerRssMbAt50k, '#7c3aed'],
  ];
  const max = Math.max(...bars.map((b) => b[1]), 1);
  const rows = bars
    .map(([label, value, color], i) => {
      const y = 50 + i * 46;
      const w = Math.max(2, (value / max) * 520);
      return `<text x="10" y="${y + 22}" font-size="15">${label}</text><rect x="240" y="${y}" width="${w}" height="32" fill="${color}"/><text x="${250 + w}" y="${y + 22}" font-size="15">${value}</text>`;
    })
    .join('');
  const title = `combine-papay-timeout benchmark — ratio ${r.ratio.median}, paidRatio ${r.paidRatio.median}, burst ${r.burst.orders} in ${r.burst.allFirstCallsMs} ms`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="340" font-family="sans-serif"><rect width="900" height="340" fill="white"/><text x="10" y="28" font-size="17" font-weight="bold">${title}</text>${rows}</svg>`;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 340 } });
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
