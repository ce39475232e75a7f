/**
 * `npm run bench -- --trade-bill` (or `node --import tsx tools/bench/trade-bill/bench.ts`): the trade-bill reconciliation at
 * scale, one secondary merchant's bill of BENCH_TB_ORDERS orders (100,000): a SUCCESS row per order and a REVOKED row
 * for every BENCH_TB_REVOKED_EVERY-th (10: 10,000 more rows), reconciled against those orders. In two parts:
 *
 * 1. The activity: the WeChat Pay simulator, in this process, serves the bill for real (signed apply verified by the
 *    product, GZIP download, SHA1); the rows are planted straight into its ledger (`Ledger.bookAll`: 110,000 admin
 *    POSTs would take minutes). A child process with the worker's launch flags (`WORKER_NODE_FLAGS`) runs the
 *    product's `reconcileTradeBill` in `MockActivityEnvironment`, with the product's `createBillSource` on the product's
 *    WeChat Pay client and the orders in memory (tools/bench/trade-bill/child.ts): wall time per phase, CPU, peak heap
 *    used and RSS (sampled every 20 ms in the child and every 50 ms from here; VmHWM at the end).
 * 2. The visibility listing the in-memory orders stand in for: BENCH_TB_LISTED orders (2,000) started with the
 *    product's `startOrder` (its search attributes and memo) on a task queue no worker polls, on a dev server of the
 *    bench's own; the product's `createOrderIndex(...).ordersOf` lists them (pages of 1,000), three times; the
 *    median is extrapolated linearly to the bill's order count (an extrapolation, not a measurement).
 *
 * Writes tools/bench/results/trade-bill.json (BENCH_RESULTS_DIR overrides the directory). BENCH_TB_LISTED=0 skips
 * part 2; BENCH_TB_MERCHANTS=2 reconciles two such merchants at once in the child (the workflow runs four at once).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startOrder } from '../../../client/start';
import { beijingDay, billDateOf, previousBillDate } from '../../../workflows/trade-bill/days';
import { createOrderIndex } from '../../../worker/order-index';
import { WORKER_NODE_FLAGS } from '../../../worker/memory';
import { projectRoot } from '../../devstack/data-dir';
import { startDevServer, waitFor } from '../../devstack/dev-server';
import { sampleOrderInput } from '../../devstack/order-input';
import { loadOrCreateIdentity, workerEnvFor } from '../../simulator/keys';
import { applyForBill, billFile, type IssuedBills } from '../../simulator/wechatpay/bills';
import { amountOf } from '../../simulator/wechatpay/ledger';
import { startWechatpayPeer } from '../../simulator/wechatpay/peer';
import { benchLedgerRows, benchSubMchid, memoryOf, type BenchDay } from './data';
import { log, pooled, round, spread } from '../util';

const ROOT = projectRoot();
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const ORDERS = env('BENCH_TB_ORDERS', 100_000);
const REVOKED_EVERY = env('BENCH_TB_REVOKED_EVERY', 10);
const LISTED = env('BENCH_TB_LISTED', 2_000);
const MERCHANTS = env('BENCH_TB_MERCHANTS', 1);
const LIST_RUNS = 3;

/**
 * Targets, set from the first measurement (2026-12-05; tools/bench/README.md, "Trade bill at scale"). Wall time: one
 * 100,000-row merchant within 120 s, listing included (extrapolated): 3× the 40 s measured, room for a busier
 * server and a listing that is not quite linear, and 100 such merchants, four at once, still reconciled in under an
 * hour. Heap: the workflow reconciles four merchants at once (`CONCURRENT_MERCHANTS`) in one worker's 256 MB old
 * space, about 30 MB of which the idle process holds, so one merchant's reconciliation may add at most
 * (256 - 30) / 4 ≈ 56 MB of heap at its peak.
 */
export const TRADE_BILL_TARGETS = { wallSec: 120, heapAddedMbPerMerchant: 56 } as const;

/** What the child printed. */
interface ChildResult {
  wallMs: number;
  cpuMs: number;
  marks: { opened?: number; billRead?: number; listStarted?: number; listed?: number };
  result: {
    merchants: number;
    rows: number;
    ordersChecked: number;
    matched: number;
    unsettled: number;
    mismatches: number;
  };
  memory: {
    atStart: { heapUsedMb: number; rssMb: number };
    withOrders: { heapUsedMb: number; rssMb: number };
    peak: { heapUsedMb: number; rssMb: number };
    vmHwmMb: number;
    after: { heapUsedMb: number; heapTotalMb: number; rssMb: number };
  };
}

/** Runs the child with the worker's flags; its result, and its peak RSS as sampled from here. */
async function runChild(childEnv: Record<string, string>): Promise<{ child: ChildResult; sampledPeakRssMb: number }> {
  const script = path.join(ROOT, 'tools', 'bench', 'trade-bill', 'child.ts');
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, '--import', 'tsx', script], {
    env: { ...process.env, ...childEnv, LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let sampledPeakRssMb = 0;
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setInterval(() => {
    try {
      sampledPeakRssMb = Math.max(sampledPeakRssMb, memoryOf(child.pid!).rss);
    } catch {
      // exited between two samples
    }
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(timer);
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (code !== 0 || !line) throw new Error(`the trade-bill child failed (exit ${code}): ${out.slice(-2_000)}`);
  return { child: JSON.parse(line.slice('RESULT '.length)) as ChildResult, sampledPeakRssMb };
}

/** Part 1: the simulator with the bill planted, the child reconciling it. */
async function measureReconcile(work: string, day: BenchDay) {
  const identity = loadOrCreateIdentity(path.join(work, 'keys'));
  const peer = await startWechatpayPeer(identity, { settings: { billUrlValidityMs: 10 * 60_000 } });
  try {
    const rows = Array.from({ length: MERCHANTS }, (_, merchant) =>
      benchLedgerRows({ ...day, merchant }, amountOf),
    ).flat();
    peer.ledger.bookAll(rows);
    // The simulator's own share of the apply and the download (not the product's; not WeChat Pay's): timed here once.
    const t0 = performance.now();
    const query = { subMchid: benchSubMchid(0), billDate: day.billDate, billType: 'ALL' as const, gzip: true };
    const scratch = { ...peer, bills: new Map() as IssuedBills };
    const applied = applyForBill(scratch, query, 'http://127.0.0.1', Date.now());
    const applyMs = performance.now() - t0;
    const token = new URL(String(applied.payload.download_url)).searchParams.get('token') ?? '';
    const t1 = performance.now();
    const file = billFile(scratch.bills, token, Date.now());
    const gzipMs = performance.now() - t1;
    const billBytes = Buffer.byteLength(scratch.bills.get(token)?.text ?? '');
    const gzipBytes = 'bytes' in file ? file.bytes.length : 0;
    scratch.bills.clear();
    log(`bill: ${rows.length / MERCHANTS} rows, ${round(billBytes / 1e6)} MB (gzip ${round(gzipBytes / 1e6)} MB)`);

    const childEnv = {
      ...workerEnvFor(identity, { wechatpay: peer.url, compensation: 'http://127.0.0.1:9/compensations' }),
      COMPENSATION_HMAC_SECRET: `whsec_${Buffer.from('trade-bill-bench-secret-0123456789').toString('base64')}`,
      BENCH_TB_BILL_DATE: day.billDate,
      BENCH_TB_ORDERS: String(day.orders),
      BENCH_TB_REVOKED_EVERY: String(day.revokedEvery),
      BENCH_TB_MERCHANTS: String(MERCHANTS),
    };
    const { child, sampledPeakRssMb } = await runChild(childEnv);
    return {
      rows: rows.length,
      simulator: { applyMs: Math.round(applyMs), gzipMs: Math.round(gzipMs), billBytes, gzipBytes },
      child,
      sampledPeakRssMb,
    };
  } finally {
    await peer.close();
  }
}

/** Part 2: `listed` real orders on a dev server of the bench's own, listed by the product's `ordersOf`. */
async function measureListing(work: string, listed: number) {
  const server = await startDevServer({
    headless: true,
    dbFile: path.join(work, 'temporal.sqlite'),
    logFile: path.join(work, 'server.log'),
    sqlitePragmas: { journal_mode: 'wal', synchronous: 'off' },
  });
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  try {
    const client = new Client({ connection, namespace: server.namespace });
    const run = Date.now().toString(36).toUpperCase();
    const numbers = Array.from({ length: listed }, (_, i) => `TBL${run}${String(i).padStart(6, '0')}`);
    const t0 = performance.now();
    await pooled(numbers, 16, async (no) => {
      // A queue no worker polls: the order stays Running with the search attributes and memo of its start, which is
      // all the listing reads (a running order is listed as a closed one is).
      await startOrder(client, sampleOrderInput(no, { paymentTimeout: '2h' }), { taskQueue: `nobody-${run}` });
    });
    const startSec = (performance.now() - t0) / 1000;
    log(`listing: ${listed} orders started in ${round(startSec, 1)} s (${round(listed / startSec, 1)}/s)`);
    // Visibility lags the starts a little: list once it counts them all.
    const query = `TaskQueue = 'nobody-${run}'`;
    const counted = async (): Promise<boolean> => Number((await client.workflow.count(query)).count) >= listed;
    await waitFor(`${listed} orders in visibility`, counted, { timeoutMs: 60_000 });
    const today = beijingDay(billDateOf(Date.now()));
    const index = createOrderIndex(native, server.namespace);
    const runsMs: number[] = [];
    for (let i = 0; i <= LIST_RUNS; i += 1) {
      const t = performance.now();
      let n = 0;
      for await (const order of index.ordersOf('1900000001', today.from, today.to))
        if (order.outTradeNos.length) n += 1;
      const ms = performance.now() - t;
      if (n !== listed) throw new Error(`ordersOf listed ${n} of ${listed} orders`);
      if (i > 0) runsMs.push(ms); // the first run warms the connection and the server's caches
    }
    const listMs = spread(runsMs, 0);
    return {
      orders: listed,
      startsPerSec: round(listed / startSec, 1),
      listMs,
      msPerThousand: round((listMs.median / listed) * 1000, 1),
    };
  } finally {
    await native.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await server.stop();
  }
}

/** The machine, as the results name it. */
function machine() {
  const debian = fs.existsSync('/etc/debian_version') ? fs.readFileSync('/etc/debian_version', 'utf8').trim() : '';
  return {
    cpus: os.cpus().length,
    memGb: Math.round(os.totalmem() / 1024 ** 3),
    os: debian ? `Debian ${debian}` : `${os.type()} ${os.release()}`,
    node: process.version,
    loadBefore: os.loadavg().map((l) => round(l, 2)),
  };
}

/** The activity's phases (ms) from the child's marks, logged; throws unless every row matched. */
function checkedPhases(c: ChildResult, rows: number) {
  const phases = {
    applyAndOpenMs: c.marks.opened ?? NaN,
    readMs: (c.marks.billRead ?? NaN) - (c.marks.opened ?? NaN),
    listInMemoryMs: (c.marks.listed ?? NaN) - (c.marks.listStarted ?? NaN),
    matchMs: c.wallMs - (c.marks.listed ?? NaN),
  };
  log(
    `reconcile: ${c.wallMs} ms (${JSON.stringify(phases)}), ${Math.round(rows / (c.wallMs / 1000))} rows/s, ` +
      `peak heap ${c.memory.peak.heapUsedMb} MB, peak RSS ${c.memory.vmHwmMb} MB; ${JSON.stringify(c.result)}`,
  );
  if (c.result.matched !== rows || c.result.mismatches !== 0) {
    throw new Error(`the bench's bill should match its orders exactly: ${JSON.stringify(c.result)}`);
  }
  return phases;
}

/** Runs both parts and writes the results. */
export async function runTradeBillBench(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'trade-bill-bench-'));
  const started = Date.now();
  const host = machine();
  // Yesterday in Beijing: a day WeChat Pay (and the simulator) serves.
  const day: BenchDay = {
    billDate: previousBillDate(billDateOf(Date.now())),
    orders: ORDERS,
    revokedEvery: REVOKED_EVERY,
  };
  log(
    `trade bill: ${ORDERS} orders, every ${REVOKED_EVERY}th reversed, bill of ${day.billDate}, ${MERCHANTS} ` +
      `merchant(s) at once; work dir ${work}`,
  );
  const part1 = await measureReconcile(work, day);
  const c = part1.child;
  const phases = checkedPhases(c, part1.rows);
  const listing = LISTED > 0 ? await measureListing(work, LISTED) : undefined;
  const extrapolatedListMs = listing ? Math.round((listing.listMs.median / listing.orders) * ORDERS) : undefined;
  const estimatedWallMs =
    extrapolatedListMs === undefined ? undefined : c.wallMs - phases.listInMemoryMs + extrapolatedListMs;
  if (listing) {
    log(
      `listing: ${listing.orders} orders in ${listing.listMs.median} ms (${listing.msPerThousand} ms per 1,000); ` +
        `${ORDERS} extrapolated: ${extrapolatedListMs} ms; activity with it: ${estimatedWallMs} ms`,
    );
  }
  const results = {
    measuredAt: new Date().toISOString(),
    machine: host,
    command: 'npm run bench -- --trade-bill',
    childCommand: `node ${WORKER_NODE_FLAGS.join(' ')} --import tsx tools/bench/trade-bill/child.ts`,
    sizes: {
      orders: ORDERS,
      revokedEvery: REVOKED_EVERY,
      billRows: part1.rows / MERCHANTS,
      merchants: MERCHANTS,
      listed: LISTED,
    },
    reconcile: {
      wallMs: c.wallMs,
      phases,
      rowsPerSec: Math.round(part1.rows / (c.wallMs / 1000)),
      cpuMs: c.cpuMs,
      result: c.result,
      memory: { ...c.memory, sampledPeakRssMbFromParent: part1.sampledPeakRssMb },
    },
    simulator: part1.simulator,
    listing: listing && {
      ...listing,
      extrapolatedMsAtOrders: extrapolatedListMs,
      note: `measured with ${listing.orders} orders, extrapolated linearly to ${ORDERS}`,
    },
    estimatedWallMsWithListing: estimatedWallMs,
    targets: {
      ...TRADE_BILL_TARGETS,
      wallMet: estimatedWallMs === undefined ? undefined : estimatedWallMs <= TRADE_BILL_TARGETS.wallSec * 1000,
      heapAddedMb: c.memory.peak.heapUsedMb - c.memory.atStart.heapUsedMb,
      heapMet:
        c.memory.peak.heapUsedMb - c.memory.atStart.heapUsedMb <= TRADE_BILL_TARGETS.heapAddedMbPerMerchant * MERCHANTS,
    },
    durationSec: Math.round((Date.now() - started) / 1000),
  };
  const dir = path.resolve(ROOT, process.env.BENCH_RESULTS_DIR ?? 'tools/bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'trade-bill.json');
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`written ${file} (${results.durationSec} s)`);
}

if (require.main === module) {
  runTradeBillBench().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
