/**
 * `npm run bench`: throughput, latency and scale of the order lifecycle on the local stack, measured against the
 * engine's own ceiling in the same run. Writes bench/results/latest.{json,md} and bench/results/chart.png.
 *
 * Sizes: BENCH_ORDERS (300), BENCH_BACKLOG (50000), BENCH_SIGN_CALLS (300).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { sign as cryptoSign } from 'node:crypto';
import http from 'node:http';
import axios from 'axios';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { launchChromium } from '../scripts/chromium';
import { startOrderTimeout, workflowIdFor, type OrderInput } from '../client';
import { loadWorkerConfig } from '../worker/config';
import { createReverseClient } from '../wechatpay/client';
import { seedOrder } from '../simulator/admin-client';
import { projectRoot } from '../simulator/data-dir';
import { ensureTemporalCli } from '../scripts/temporal-cli';
import { freePort, startDevServer, stopProcess, waitFor, type DevServer } from '../scripts/dev-server';

const N = Number(process.env.BENCH_ORDERS ?? 300);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 50_000);
const SIGN_CALLS = Number(process.env.BENCH_SIGN_CALLS ?? 300);
const ROOT = projectRoot();
const RESULTS = path.join(ROOT, 'bench', 'results');

function log(line: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

function cpuTicks(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function pooled<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-bench-'));
  const started = Date.now();
  log(`work dir ${work}; lifecycle orders ${N}, backlog ${BACKLOG}`);
  const dbFile = path.join(work, 'temporal.sqlite');
  // WAL without fsync: the default rollback journal caps the dev server near 90 starts/s on this machine (297/s with
  // these pragmas, 386/s in memory); the engine ceiling is measured under the same setting.
  const server = await startDevServer({
    headless: true,
    dbFile,
    logFile: path.join(work, 'server.log'),
    sqlitePragmas: { journal_mode: 'wal', synchronous: 'off' },
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const children: ChildProcess[] = [];
  const cleanup = async (): Promise<void> => {
    await client.connection.close().catch(() => undefined);
    await Promise.all(children.map((c) => stopProcess(c, 10_000)));
    await server.stop();
  };
  try {
    await measure(work, started, server, client, children);
  } finally {
    await cleanup();
  }
}

async function measure(
  work: string,
  started: number,
  server: DevServer,
  client: Client,
  children: ChildProcess[],
): Promise<void> {
  const dbFile = path.join(work, 'temporal.sqlite');

  // The simulator in its own process, so its CPU is not counted as the client's.
  const simPort = await freePort();
  const svcPort = await freePort();
  const sim = spawn(process.execPath, [path.join(ROOT, 'dist', 'simulator', 'main.js')], {
    env: { ...process.env, SIMULATOR_PORT: String(simPort), ORDER_SERVICE_PORT: String(svcPort) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(sim);
  let simOut = '';
  sim.stdout.on('data', (d: Buffer) => (simOut += d.toString()));
  await waitFor('the simulator', async () => simOut.includes('Worker environment written'));
  const simEnv = Object.fromEntries(
    fs
      .readFileSync(path.join(ROOT, '.data', 'worker.env'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Record<string, string>;
  const peerUrl = simEnv.WECHATPAY_BASE_URL!;

  const spawnWorker = (script: string, taskQueue: string, extra: Record<string, string> = {}): ChildProcess => {
    const out = fs.openSync(path.join(work, `${taskQueue}.log`), 'a');
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', script)], {
      env: {
        ...process.env,
        ...simEnv,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        LOG_LEVEL: 'WARN',
        ...extra,
      },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    children.push(child);
    return child;
  };
  const waitPolling = (taskQueue: string) =>
    waitFor(
      `a worker polling ${taskQueue}`,
      async () => {
        const res = await client.workflowService.describeTaskQueue({
          namespace: server.namespace,
          taskQueue: { name: taskQueue },
          taskQueueType: 1,
        });
        return (res.pollers ?? []).length > 0;
      },
      { timeoutMs: 60_000 },
    );
  const seed = (input: OrderInput): Promise<void> => seedOrder(peerUrl, input, 'SUCCESS');
  const makeOrder = (no: string, createdAt: number, deadline: number): OrderInput => ({
    combineOutTradeNo: no,
    combineAppid: 'wxd678efh567hg6787',
    subOrders: [
      { mchid: '1900009191', outTradeNo: `${no}A`, subMchid: '1900001001' },
      { mchid: '1900009191', outTradeNo: `${no}B`, subMchid: '1900001002' },
    ],
    orderCreatedAt: new Date(createdAt).toISOString(),
    paymentTimeout: deadline - createdAt,
    // No pay call is in flight in the benchmark: the reconcile starts at the deadline.
    payWindow: '0s',
  });
  const closeTimes = async (taskQueue: string, expected: number): Promise<Map<string, number>> => {
    const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`;
    await waitFor(
      `${expected} completions on ${taskQueue}`,
      async () => Number((await client.workflow.count(query)).count) >= expected,
      { timeoutMs: 600_000, intervalMs: 250 },
    );
    const out = new Map<string, number>();
    for await (const wf of client.workflow.list({ query })) out.set(wf.workflowId, wf.closeTime?.getTime() ?? NaN);
    return out;
  };

  // 1. Lifecycle throughput: N orders falling due together; reverse + 2 compensations each.
  const lifeQueue = 'bench-lifecycle';
  spawnWorker('worker/main.js', lifeQueue);
  await waitPolling(lifeQueue);
  const run = Date.now().toString(36).toUpperCase();
  const due1 = Date.now() + 20_000;
  const orders1 = Array.from({ length: N }, (_, i) =>
    makeOrder(`BL${run}${String(i).padStart(6, '0')}`, Date.now() - 15_000, due1),
  );
  await pooled(orders1, 20, async (o) => {
    await seed(o);
    await startOrderTimeout(client, o, { taskQueue: lifeQueue });
  });
  log(`lifecycle: ${N} orders started, due at ${new Date(due1).toISOString()}`);
  const close1 = await closeTimes(lifeQueue, N);
  const lifeSpan = Math.max(...close1.values()) - due1;
  const lifecyclesPerSec = N / (lifeSpan / 1000);
  log(`lifecycle: ${N} in ${lifeSpan} ms after the deadline → ${lifecyclesPerSec.toFixed(1)}/s`);

  // 2. Engine ceiling: same timer, the same five no-op activities in the same order, same server and worker settings.
  const ceilQueue = 'bench-ceiling';
  spawnWorker('bench/ceiling-worker.js', ceilQueue);
  await waitPolling(ceilQueue);
  const due2 = Date.now() + 20_000;
  const ids2 = Array.from({ length: N }, (_, i) => `ceiling-${run}-${i}`);
  await pooled(ids2, 20, async (id) => {
    await client.workflow.start('ceilingWorkflow', { taskQueue: ceilQueue, workflowId: id, args: [due2] });
  });
  const close2 = await closeTimes(ceilQueue, N);
  const ceilSpan = Math.max(...close2.values()) - due2;
  const ceilingPerSec = N / (ceilSpan / 1000);
  const ratio = lifecyclesPerSec / ceilingPerSec;
  log(`ceiling: ${N} in ${ceilSpan} ms → ${ceilingPerSec.toFixed(1)}/s; ratio ${ratio.toFixed(2)}`);

  // 3. Latency at half the measured maximum rate.
  const rate = lifecyclesPerSec / 2;
  const M = Math.max(20, Math.min(600, Math.round(rate * 30)));
  const t0 = Date.now() + 15_000 + M * 15;
  const orders3 = Array.from({ length: M }, (_, i) => {
    const due = Math.round(t0 + (i * 1000) / rate);
    return { due, input: makeOrder(`BT${run}${String(i).padStart(6, '0')}`, Date.now() - 15_000, due) };
  });
  await pooled(orders3, 20, async (o) => {
    await seed(o.input);
    await startOrderTimeout(client, o.input, { taskQueue: lifeQueue });
  });
  log(`latency: ${M} orders due at ${rate.toFixed(1)}/s from ${new Date(t0).toISOString()}`);
  const close3 = await closeTimes(lifeQueue, N + M);
  const requests = (await (await fetch(`${peerUrl}__admin/requests`)).json()) as {
    orderNo?: string;
    route: string;
    at: string;
  }[];
  const firstReverse = new Map<string, number>();
  for (const r of requests) {
    if (r.route === 'reverse' && r.orderNo && !firstReverse.has(r.orderNo))
      firstReverse.set(r.orderNo, Date.parse(r.at));
  }
  const toReverse = orders3.map((o) => firstReverse.get(o.input.combineOutTradeNo)! - o.due);
  const toDone = orders3.map((o) => close3.get(workflowIdFor(o.input.combineOutTradeNo))! - o.due);
  const latency = {
    p50DeadlineToReverseMs: percentile(toReverse, 50),
    p95DeadlineToReverseMs: percentile(toReverse, 95),
    p99DeadlineToReverseMs: percentile(toReverse, 99),
    p50DeadlineToCompletionMs: percentile(toDone, 50),
    p95DeadlineToCompletionMs: percentile(toDone, 95),
    p99DeadlineToCompletionMs: percentile(toDone, 99),
  };
  log(`latency: ${JSON.stringify(latency)}`);
  // Where the time goes, from the histories: server timer lateness, workflow task, activity dispatch, HTTP.
  const segments = {
    timerLateMs: [] as number[],
    toActivityScheduledMs: [] as number[],
    toActivityStartedMs: [] as number[],
    toRequestMs: [] as number[],
  };
  await pooled(orders3, 16, async (o) => {
    const events =
      (await client.workflow.getHandle(workflowIdFor(o.input.combineOutTradeNo)).fetchHistory()).events ?? [];
    const t = (e: (typeof events)[number] | undefined): number =>
      e?.eventTime ? Number(e.eventTime.seconds) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6) : NaN;
    const fired = events.find((e) => e.timerFiredEventAttributes);
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes);
    const started = events.find((e) => e.activityTaskStartedEventAttributes);
    const arrived = firstReverse.get(o.input.combineOutTradeNo)!;
    segments.timerLateMs.push(t(fired) - o.due);
    segments.toActivityScheduledMs.push(t(scheduled) - t(fired));
    segments.toActivityStartedMs.push(t(started) - t(scheduled));
    segments.toRequestMs.push(arrived - t(started));
  });
  const breakdown = Object.fromEntries(
    Object.entries(segments).map(([k, v]) => [
      k,
      { p50: Math.round(percentile(v, 50)), p99: Math.round(percentile(v, 99)) },
    ]),
  );
  log(`latency breakdown: ${JSON.stringify(breakdown)}`);

  // 4. Signing cost on the client side: CPU per reverse call (sign + HTTP + verify) against raw RSA-2048 signing.
  const config = loadWorkerConfig({ ...simEnv, TEMPORAL_ADDRESS: server.address });
  const reverseClient = createReverseClient(config.wechatpay);
  const call = (i: number) =>
    reverseClient.reverse({
      combineOutTradeNo: `BS${run}${i}`,
      combineAppid: 'wxd678efh567hg6787',
      subOrders: [{ mchid: '1900009191', outTradeNo: `BS${run}${i}A`, subMchid: '1900001001' }],
    });
  for (let i = 0; i < 20; i++) await call(-i - 1);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < SIGN_CALLS; i++) {
    const answer = await call(i);
    if (answer.kind !== 'answer' || !answer.verified) throw new Error(`unexpected answer ${JSON.stringify(answer)}`);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuPerCallMs = (cpu.user + cpu.system) / 1000 / SIGN_CALLS;
  const speed = execFileSync('openssl', ['speed', '-seconds', '3', 'rsa2048'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const signLine = /rsa\s+2048 bits\s+([\d.]+)s\s+([\d.]+)s\s+([\d.]+)\s+([\d.]+)/.exec(speed);
  const rawSignMs = signLine ? Number(signLine[1]) * 1000 : NaN;
  const signOverheadRatio = cpuPerCallMs / rawSignMs;
  // Where the client's CPU goes: RSA signing in Node, and a bare keep-alive axios POST of the same body.
  const message = `POST\n/v3/ecommerce/combine-papay/transactions/X/reverse\n${Date.now()}\nnonce\n${'x'.repeat(200)}\n`;
  const c1 = process.cpuUsage();
  for (let i = 0; i < SIGN_CALLS; i++) cryptoSign('sha256', Buffer.from(message), config.wechatpay.privateKey);
  const c1d = process.cpuUsage(c1);
  const nodeSignMs = (c1d.user + c1d.system) / 1000 / SIGN_CALLS;
  const bare = axios.create({ httpAgent: new http.Agent({ keepAlive: true }), validateStatus: () => true });
  const target = `${peerUrl}v3/ecommerce/combine-papay/transactions/X/reverse`;
  for (let i = 0; i < 20; i++) await bare.post(target, { combine_appid: 'wx', sub_orders: [] });
  const c2 = process.cpuUsage();
  for (let i = 0; i < SIGN_CALLS; i++) await bare.post(target, { combine_appid: 'wx', sub_orders: [] });
  const c2d = process.cpuUsage(c2);
  const bareHttpMs = (c2d.user + c2d.system) / 1000 / SIGN_CALLS;
  log(
    `signing: ${cpuPerCallMs.toFixed(3)} ms CPU per reverse call vs ${rawSignMs.toFixed(3)} ms per raw RSA-2048 sign → ${signOverheadRatio.toFixed(2)}`,
  );

  // 5. Backlog: orders waiting on long deadlines.
  const backlogQueue = 'bench-backlog';
  const backlogWorker = spawnWorker('worker/main.js', backlogQueue, {
    WORKER_MAX_CACHED_WORKFLOWS: process.env.BENCH_CACHE ?? '100',
  });
  await waitPolling(backlogQueue);
  const rssIdle = rssMb(backlogWorker.pid!);
  const startT = Date.now();
  let startedCount = 0;
  const far = Date.now() + 3_600_000;
  await pooled(
    Array.from({ length: BACKLOG }, (_, i) => i),
    64,
    async (i) => {
      const no = `BB${run}${String(i).padStart(6, '0')}`;
      await startOrderTimeout(client, makeOrder(no, Date.now(), far), { taskQueue: backlogQueue });
      startedCount += 1;
      if (startedCount % 5000 === 0)
        log(`backlog: ${startedCount}/${BACKLOG} started, worker RSS ${rssMb(backlogWorker.pid!).toFixed(0)} MB`);
    },
  );
  const startSecs = (Date.now() - startT) / 1000;
  const startsPerSec = BACKLOG / startSecs;
  // Settled: the worker has been idle for 3 s in a row.
  let lastTicks = cpuTicks(backlogWorker.pid!);
  let idleFor = 0;
  while (idleFor < 3) {
    await new Promise((r) => setTimeout(r, 1_000));
    const ticks = cpuTicks(backlogWorker.pid!);
    idleFor = ticks - lastTicks <= 5 ? idleFor + 1 : 0;
    lastTicks = ticks;
  }
  const workerRssMbAt50k = rssMb(backlogWorker.pid!);
  const dbBytes = ['', '-wal', '-shm'].reduce(
    (sum, ext) => sum + (fs.existsSync(dbFile + ext) ? fs.statSync(dbFile + ext).size : 0),
    0,
  );
  log(
    `backlog: ${BACKLOG} started at ${startsPerSec.toFixed(0)}/s; worker RSS ${workerRssMbAt50k.toFixed(0)} MB (idle ${rssIdle.toFixed(0)} MB); database ${(dbBytes / 1e6).toFixed(0)} MB`,
  );
  const cli = await ensureTemporalCli();
  const termStart = Date.now();
  execFileSync(
    cli,
    [
      'workflow',
      'terminate',
      '--address',
      server.address,
      '--query',
      `TaskQueue = '${backlogQueue}'`,
      '--reason',
      'benchmark cleanup',
      '--yes',
    ],
    {
      stdio: 'ignore',
    },
  );
  log(`backlog: batch termination requested in ${Date.now() - termStart} ms`);

  const results = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      temporalCli: execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim(),
    },
    settings: {
      orders: N,
      backlog: BACKLOG,
      signCalls: SIGN_CALLS,
      maxConcurrentActivities: 100,
      backlogMaxCachedWorkflows: Number(process.env.BENCH_CACHE ?? 100),
    },
    lifecyclesPerSec: round(lifecyclesPerSec),
    ceilingPerSec: round(ceilingPerSec),
    ratio: round(ratio),
    latencyRatePerSec: round(rate),
    latencyOrders: M,
    ...Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, Math.round(v)])),
    latencyBreakdownMs: breakdown,
    backlogStartsPerSec: round(startsPerSec),
    workerRssMbIdle: Math.round(rssIdle),
    workerRssMbAt50k: Math.round(workerRssMbAt50k),
    devServerDbMbAt50k: Math.round(dbBytes / 1e6),
    cpuPerReverseCallMs: round(cpuPerCallMs, 3),
    rawRsa2048SignMs: round(rawSignMs, 3),
    signOverheadRatio: round(signOverheadRatio),
    nodeRsa2048SignMs: round(nodeSignMs, 3),
    bareAxiosPostMs: round(bareHttpMs, 3),
    durationSec: Math.round((Date.now() - started) / 1000),
  };
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(path.join(RESULTS, 'latest.md'), markdown(results));
  await chart(results, path.join(RESULTS, 'chart.png'));
  console.log(`\n${markdown(results)}`);
}

function round(v: number, digits = 2): number {
  return Number(v.toFixed(digits));
}

type Results = Record<string, unknown> & {
  lifecyclesPerSec: number;
  ceilingPerSec: number;
  ratio: number;
  p50DeadlineToReverseMs?: number;
  p95DeadlineToReverseMs?: number;
  p99DeadlineToReverseMs?: number;
  p50DeadlineToCompletionMs?: number;
  p95DeadlineToCompletionMs?: number;
  p99DeadlineToCompletionMs?: number;
  workerRssMbAt50k: number;
  signOverheadRatio: number;
};

function breakdownText(b: unknown): string {
  const parts = b as Record<string, { p50: number; p99: number }> | undefined;
  if (!parts) return '';
  return Object.values(parts)
    .map((v) => `${v.p50} / ${v.p99}`)
    .join(' · ');
}

function markdown(r: Results): string {
  const ok = (pass: boolean) => (pass ? 'met' : '**missed**');
  return [
    `| measure | value | target |`,
    `|---|---|---|`,
    `| lifecycles/s (reverse + 2 compensations, due together) | ${r.lifecyclesPerSec} | |`,
    `| engine ceiling/s (same timer, 3 no-op activities) | ${r.ceilingPerSec} | |`,
    `| ratio | ${r.ratio} | ≥ 0.9: ${ok(r.ratio >= 0.9)} |`,
    `| deadline → reverse at WeChat Pay, p50 / p95 / p99 (ms, at ${String(r.latencyRatePerSec)}/s) | ${r.p50DeadlineToReverseMs} / ${r.p95DeadlineToReverseMs} / ${r.p99DeadlineToReverseMs} | p99 ≤ 250: ${ok((r.p99DeadlineToReverseMs ?? Infinity) <= 250)} |`,
    `| of which, p50 / p99 (ms): server fires the timer late by · workflow task schedules reverse · activity dispatched · signed request reaches WeChat Pay | ${breakdownText(r.latencyBreakdownMs)} | |`,
    `| deadline → completed, p50 / p95 / p99 (ms) | ${r.p50DeadlineToCompletionMs} / ${r.p95DeadlineToCompletionMs} / ${r.p99DeadlineToCompletionMs} | |`,
    `| backlog starts/s | ${String(r.backlogStartsPerSec)} | |`,
    `| worker RSS with ${String((r.settings as { backlog: number }).backlog)} pending orders (MB) | ${r.workerRssMbAt50k} (idle ${String(r.workerRssMbIdle)}) | ≤ 300: ${ok(r.workerRssMbAt50k <= 300)} |`,
    `| dev-server database with the backlog (MB) | ${String(r.devServerDbMbAt50k)} | |`,
    `| CPU per reverse call / raw RSA-2048 sign (ms) | ${String(r.cpuPerReverseCallMs)} / ${String(r.rawRsa2048SignMs)} | |`,
    `| of which: RSA-2048 sign in Node · a bare keep-alive axios POST (ms) | ${String(r.nodeRsa2048SignMs)} · ${String(r.bareAxiosPostMs)} | |`,
    `| signOverheadRatio | ${r.signOverheadRatio} | ≤ 1.2: ${ok(r.signOverheadRatio <= 1.2)} |`,
    '',
    `Machine: ${JSON.stringify(r.machine)}; run took ${String(r.durationSec)} s on ${String(r.date)}.`,
    '',
  ].join('\n');
}

async function chart(r: Results, file: string): Promise<void> {
  const bars: [string, number, string][] = [
    ['lifecycles/s', r.lifecyclesPerSec, '#4f6bed'],
    ['ceiling/s', r.ceilingPerSec, '#9aa5b1'],
    ['p50 → reverse (ms)', r.p50DeadlineToReverseMs ?? 0, '#2bb673'],
    ['p99 → reverse (ms)', r.p99DeadlineToReverseMs ?? 0, '#f59e0b'],
    ['p99 → done (ms)', r.p99DeadlineToCompletionMs ?? 0, '#e4572e'],
    ['worker RSS (MB)', r.workerRssMbAt50k, '#7c3aed'],
  ];
  const max = Math.max(...bars.map((b) => b[1]), 1);
  const rows = bars
    .map(([label, value, color], i) => {
      const y = 50 + i * 46;
      const w = Math.max(2, (value / max) * 560);
      return `<text x="10" y="${y + 22}" font-size="15">${label}</text><rect x="200" y="${y}" width="${w}" height="32" fill="${color}"/><text x="${210 + w}" y="${y + 22}" font-size="15">${value}</text>`;
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="340" font-family="sans-serif"><rect width="900" height="340" fill="white"/><text x="10" y="28" font-size="18" font-weight="bold">combine-papay-timeout benchmark — ratio ${r.ratio}, signOverheadRatio ${r.signOverheadRatio}</text>${rows}</svg>`;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 340 } });
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    await page.screenshot({ path: file });
  } finally {
    await browser.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
