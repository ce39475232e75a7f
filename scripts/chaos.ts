/**
 * `npm run test:chaos`: many orders with short deadlines and pay windows on the local stack while WeChat Pay (query
 * and reverse) and the order service (compensation and payment confirmation) misbehave, worker processes are
 * SIGKILLed and restarted, two workers share the queue, and the dev server restarts once. Then the invariants of
 * `simulator/invariants.ts` are checked over the peers' logs, the peer's final orders and the workflow results; it
 * prints a summary table and ends with `chaos: N orders, K kills, F faults injected, V invariant violations`.
 *
 * Sizes from the environment: CHAOS_ORDERS (500), CHAOS_KILLS (5), CHAOS_FAULT_RATE (0.35), CHAOS_SEED (7),
 * CHAOS_MAX_MS (15 minutes to settle).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startOrder, workflowIdFor, type OrderInput, type OrderResult } from '../client';
import { payLikeACheckout, peerFields, sleep, withRetry } from '../devstack/checkout-sim';
import { projectRoot } from '../simulator/data-dir';
import { seededRandom } from '../simulator/faults';
import {
  CHAOS_PLANS,
  checkInvariants,
  refusalsLostWithKill,
  type ChaosPlan,
  type CheckedOrder,
} from '../simulator/invariants';
import { loadOrCreateIdentity, workerEnvFor } from '../simulator/keys';
import { startOrderService, type OrderService, type OrderServiceFault } from '../simulator/order-service';
import { newOrder } from '../simulator/peer-orders';
import { RECOVERABLE_FAULTS, startWechatpayPeer, type WechatpayPeer } from '../simulator/wechatpay-peer';
import { PaymentPhaseKey } from '../workflows/search-attributes';
import { freePort, startDevServer, stopProcess, type DevServer } from './dev-server';

const ORDERS = Number(process.env.CHAOS_ORDERS ?? 500);
const KILLS = Number(process.env.CHAOS_KILLS ?? 5);
const FAULT_RATE = Number(process.env.CHAOS_FAULT_RATE ?? 0.35);
const SEED = Number(process.env.CHAOS_SEED ?? 7);
const MAX_MS = Number(process.env.CHAOS_MAX_MS ?? 15 * 60_000);
const HMAC = 'chaos-run-hmac-secret-0123456789';
/** When the dev server restarts, ms after the chaos begins. */
const SERVER_RESTART_AT = 40_000;
/** Share of order-service requests (compensations and confirmations) that fail, retryably. */
const DOWNSTREAM_FAULT_RATE = 0.2;
const DOWNSTREAM_FAULTS: OrderServiceFault[] = ['500', '503', '429', '408', 'RESET', 'DELAY'];

/** How often each plan is drawn (after the first orders, which take every plan once). */
const PLAN_WEIGHTS: Readonly<Record<ChaosPlan, number>> = {
  PAID: 0.15,
  UNPAID: 0.17,
  DEBITED: 0.17,
  DEBITED_ADOPT: 0.12,
  ALREADY_CLOSED: 0.08,
  NO_ORDER: 0.13,
  PAY_LANDS_LATE: 0.15,
  NEEDS_ATTENTION: 0.03,
};
/** The running stack: dev server, peers, workers, client, and the run's random source. */
interface Stack {
  work: string;
  port: number;
  server: DevServer;
  peer: WechatpayPeer;
  orderService: OrderService;
  client: Client;
  taskQueue: string;
  workers: (ChildProcess | undefined)[];
  startWorker: (slot: number) => void;
  random: () => number;
}

function log(line: string): void {
  console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

async function main(): Promise<void> {
  const began = Date.now();
  const stack = await setUp();
  const orders = planOrders(stack);
  addFaults(stack, orders);
  const { payments } = await placeOrders(stack, orders);
  const [killedAt] = await Promise.all([chaos(stack), waitToSettle(stack, orders)]);
  await payments;
  const { violations, lostRefusals } = check(stack, orders, killedAt);
  const faults = report(stack, orders, { kills: killedAt.length, lostRefusals, violations, seconds: secs(began) });
  await tearDown(stack);
  console.log(
    `chaos: ${orders.length} orders, ${killedAt.length} kills, ${faults} faults injected, ${violations.length} invariant violations`,
  );
  process.exit(violations.length === 0 ? 0 : 1);
}

/** Phase 1: the dev server (sqlite, so it survives its restart), both peers in-process, two workers, a client. */
async function setUp(): Promise<Stack> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-chaos-'));
  const port = await freePort();
  log(`work dir ${work}; ${ORDERS} orders, ${KILLS} worker kills, fault rate ${FAULT_RATE}, seed ${SEED}`);
  const server = await startServer(work, port);
  const identity = loadOrCreateIdentity(path.join(work, 'keys'));
  const peer = await startWechatpayPeer(identity, { seed: SEED, settings: { delayMs: 3_000 } });
  const orderService = await startOrderService({ secret: HMAC, seed: SEED + 1, delayMs: 3_000 });
  const taskQueue = `chaos-${Date.now().toString(36)}`;
  const urls = { wechatpay: peer.url, compensation: orderService.url, confirmation: orderService.confirmationUrl };
  const workerEnv = {
    ...process.env,
    ...workerEnvFor(identity, urls),
    COMPENSATION_HMAC_SECRET: HMAC,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WECHATPAY_TIMEOUT_MS: '1500',
    COMPENSATION_TIMEOUT_MS: '1500',
    WECHATPAY_AUTH_RETRY_DELAY: '2s',
    LOG_LEVEL: 'WARN',
  };
  // From dist/ the worker runs compiled (with its prebuilt bundle); from sources through ts-node.
  const workerArgs = __filename.endsWith('.ts')
    ? ['-r', 'ts-node/register/transpile-only', path.join(projectRoot(), 'worker', 'main.ts')]
    : [path.join(projectRoot(), 'dist', 'worker', 'main.js')];
  const workers: (ChildProcess | undefined)[] = [undefined, undefined];
  const startWorker = (slot: number): void => {
    const out = fs.openSync(path.join(work, `worker-${slot}.log`), 'a');
    workers[slot] = spawn(process.execPath, workerArgs, {
      cwd: projectRoot(),
      env: workerEnv,
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
  };
  startWorker(0);
  startWorker(1);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  return {
    work,
    port,
    server,
    peer,
    orderService,
    client,
    taskQueue,
    workers,
    startWorker,
    random: seededRandom(SEED),
  };
}

function startServer(work: string, port: number): Promise<DevServer> {
  const dbFile = path.join(work, 'temporal.sqlite');
  return startDevServer({ port, headless: true, dbFile, logFile: path.join(work, 'server.log') });
}

/** Phase 2a: the orders, a plan each (every plan at least once), deadlines spread over the first minute. */
function planOrders(stack: Stack): CheckedOrder[] {
  const run = Date.now().toString(36).toUpperCase();
  return Array.from({ length: ORDERS }, (_, i): CheckedOrder => {
    const no = `CH${run}${String(i).padStart(5, '0')}`;
    const plan = i < CHAOS_PLANS.length ? CHAOS_PLANS[i]! : drawPlan(stack.random());
    const input: OrderInput = {
      combineOutTradeNo: no,
      combineAppid: 'wxd678efh567hg6787',
      subOrders: [
        { mchid: '1900009191', outTradeNo: `${no}A`, subMchid: '1900001001' },
        { mchid: '1900009191', outTradeNo: `${no}B`, subMchid: '1900001002' },
      ],
      paymentTimeout: 20_000 + Math.floor(stack.random() * 45_000),
      payWindow: '2s',
      ...(plan === 'DEBITED_ADOPT' ? { onPaidAtDeadline: 'ADOPT' as const } : {}),
      retryPolicy: {
        reverse: { initialInterval: '1s', maximumInterval: '3s', scheduleToClose: '30m' },
        compensation: { initialInterval: '200ms', maximumInterval: '3s', scheduleToClose: '30m' },
      },
    };
    if (plan === 'ALREADY_CLOSED') stack.peer.orders.set(no, newOrder(peerFields(input), 'CLOSED'));
    return { input, plan };
  });
}

function drawPlan(r: number): ChaosPlan {
  let left = r;
  for (const plan of CHAOS_PLANS) {
    left -= PLAN_WEIGHTS[plan];
    if (left < 0) return plan;
  }
  return 'UNPAID';
}

/**
 * Phase 2b: the scripted refusals (PARAM_ERROR on the first reverse of NEEDS_ATTENTION orders), then random
 * recoverable faults on WeChat Pay's query and reverse routes (FAULT_RATE each) and on both order-service routes.
 * Scripted rules come first so that random ones cannot pre-empt them.
 */
function addFaults(stack: Stack, orders: readonly CheckedOrder[]): void {
  const { peer, orderService } = stack;
  for (const o of orders) {
    if (o.plan !== 'NEEDS_ATTENTION') continue;
    peer.faults.add({ route: 'reverse', kind: 'PARAM_ERROR', count: 1, orderNo: o.input.combineOutTradeNo });
  }
  for (const route of ['query', 'reverse'] as const) {
    spread(RECOVERABLE_FAULTS, FAULT_RATE, (kind, probability) => peer.faults.add({ route, kind, probability }));
  }
  spread(DOWNSTREAM_FAULTS, DOWNSTREAM_FAULT_RATE, (kind, probability) =>
    orderService.faults.add({ kind, probability }),
  );
}

/** Adds one rule per kind; each fires given that earlier ones did not, scaled so that the total is `total`. */
function spread<K extends string>(kinds: readonly K[], total: number, add: (kind: K, p: number) => void): void {
  const each = total / kinds.length;
  let remaining = 1;
  for (const kind of kinds) {
    add(kind, Math.min(1, each / remaining));
    remaining -= each;
  }
}

/**
 * Phase 2c: starts every order (orderCreatedAt 15 s in the past), 25 at a time; right after its start each order
 * with a pay call announces it (`beginPayment`) and pays (simulated at the peer), and PAID ones are confirmed.
 * Resolves once all are started, with the promise of those payments.
 */
async function placeOrders(stack: Stack, orders: CheckedOrder[]): Promise<{ payments: Promise<void> }> {
  log('starting orders');
  const payments: Promise<void>[] = [];
  for (let i = 0; i < orders.length; i += 25) {
    await Promise.all(
      orders.slice(i, i + 25).map(async (o) => {
        o.input.orderCreatedAt = new Date(Date.now() - 15_000).toISOString();
        await withRetry(() => startOrder(stack.client, o.input, { taskQueue: stack.taskQueue }));
        payments.push(payLikeACheckout(stack, o, 'chaos'));
      }),
    );
  }
  log(`started ${orders.length} orders; paying and confirming`);
  return { payments: Promise.all(payments).then(() => undefined) };
}

/** Phase 3: worker SIGKILLs at random moments within the busy minute and one dev-server restart; the kill times. */
async function chaos(stack: Stack): Promise<number[]> {
  const t0 = Date.now();
  const events = [
    ...Array.from({ length: KILLS }, () => ({ at: 5_000 + stack.random() * 70_000, kill: true })),
    { at: SERVER_RESTART_AT, kill: false },
  ].sort((a, b) => a.at - b.at);
  const killedAt: number[] = [];
  for (const event of events) {
    await sleep(t0 + event.at - Date.now());
    if (!event.kill) {
      log('restarting the dev server (same sqlite file, same port)');
      await stack.server.stop();
      stack.server = await startServer(stack.work, stack.port);
      continue;
    }
    const slot = stack.random() < 0.5 ? 0 : 1;
    stack.workers[slot]?.kill('SIGKILL');
    killedAt.push(Date.now());
    log(`SIGKILL worker ${slot} (kill ${killedAt.length}/${KILLS}); restarting it`);
    await sleep(500);
    stack.startWorker(slot);
  }
  return killedAt;
}

/** Phase 4: polls until every order completed, failed or waits in NEEDS_ATTENTION (or CHAOS_MAX_MS passed). */
async function waitToSettle(stack: Stack, orders: CheckedOrder[]): Promise<void> {
  const deadline = Date.now() + MAX_MS;
  let pending = orders;
  while (pending.length > 0 && Date.now() < deadline) {
    await sleep(3_000);
    const next: CheckedOrder[] = [];
    for (let i = 0; i < pending.length; i += 50) {
      await Promise.all(
        pending.slice(i, i + 50).map(async (o) => {
          if (!(await settle(stack, o))) next.push(o);
        }),
      );
    }
    pending = next;
    log(`${orders.length - pending.length}/${orders.length} orders settled`);
  }
}

/** Notes the order's end (result and phase) if it has one; false while it is still moving. */
async function settle(stack: Stack, o: CheckedOrder): Promise<boolean> {
  const handle = stack.client.workflow.getHandle(workflowIdFor(o.input.combineOutTradeNo));
  try {
    const d = await handle.describe();
    if (d.status.name === 'COMPLETED') {
      o.result = (await handle.result()) as OrderResult;
      o.phase = o.result.outcome;
    } else if (d.status.name !== 'RUNNING') o.phase = d.status.name;
    else if (d.typedSearchAttributes.get(PaymentPhaseKey) === 'NEEDS_ATTENTION') o.phase = 'NEEDS_ATTENTION';
    return o.phase !== undefined;
  } catch {
    return false; // e.g. the dev server is restarting
  }
}

/** Phase 5: the invariants (simulator/invariants.ts) over what the client saw and what the peers logged. */
function check(
  stack: Stack,
  orders: CheckedOrder[],
  killedAt: number[],
): { violations: string[]; lostRefusals: number } {
  const input = {
    orders,
    peerLog: stack.peer.log,
    peerOrders: stack.peer.orders,
    orderServiceLog: stack.orderService.log,
    compensated: stack.orderService.compensated,
    confirmations: stack.orderService.confirmations,
    killedAt,
  };
  return { violations: checkInvariants(input), lostRefusals: refusalsLostWithKill(input).length };
}

const secs = (since: number): number => Math.round((Date.now() - since) / 1000);
const pct = (n: number, of: number): string => `${Math.round((100 * n) / Math.max(1, of))}%`;

/** Phase 6: the summary table, call counts, violations; answers the number of faults injected. */
function report(
  stack: Stack,
  orders: readonly CheckedOrder[],
  run: { kills: number; lostRefusals: number; violations: string[]; seconds: number },
): number {
  const { peer, orderService } = stack;
  const table = new Map<string, number>();
  for (const o of orders) {
    const key = `${o.plan} → ${o.phase ?? 'unsettled'}`;
    table.set(key, (table.get(key) ?? 0) + 1);
  }
  console.log('\n| plan → outcome | orders |\n|---|---|');
  for (const [k, n] of [...table].sort()) console.log(`| ${k} | ${n} |`);
  console.log('\n| fault | injected |\n|---|---|');
  for (const [k, n] of [...peer.faults.injected].sort()) console.log(`| WeChat Pay ${k} | ${n} |`);
  for (const [k, n] of [...orderService.faults.injected].sort()) console.log(`| order service ${k} | ${n} |`);
  const calls = (entries: readonly { fault?: string }[], what: string): [string, number] => {
    const faulted = entries.filter((e) => e.fault !== undefined).length;
    return [`${what} calls ${entries.length}, ${faulted} faulted (${pct(faulted, entries.length)})`, faulted];
  };
  const lines = [
    calls(
      peer.log.filter((e) => e.route === 'query'),
      'query',
    ),
    calls(
      peer.log.filter((e) => e.route === 'reverse'),
      'reverse',
    ),
    calls(
      orderService.log.filter((e) => e.route === 'compensate'),
      'compensation',
    ),
    calls(
      orderService.log.filter((e) => e.route === 'confirm'),
      'payment confirmation',
    ),
  ];
  console.log(
    `\n${lines.map(([line]) => line).join('; ')}; worker kills ${run.kills}; server restarts 1; ` +
      `refusals within 3 s of a worker kill (allowed to end REVERSED) ${run.lostRefusals}; ` +
      `accepted reverse answers found in the peer log by nonce ${tiedByNonce(stack, orders)}; took ${run.seconds} s`,
  );
  for (const v of run.violations.slice(0, 30)) console.log(`VIOLATION ${v}`);
  return lines.reduce((sum, [, faulted]) => sum + faulted, 0);
}

/** `n/m`: of the m accepted reverse answers, how many carry a nonce the peer logged (rule h's strong form). */
function tiedByNonce(stack: Stack, orders: readonly CheckedOrder[]): string {
  const logged = new Set(stack.peer.log.map((e) => e.answerNonce));
  const accepted = orders.flatMap((o) => {
    const reverse = o.result?.reverse;
    return reverse?.httpStatus !== undefined && reverse.outcome !== 'NOT_NEEDED' ? [reverse] : [];
  });
  return `${accepted.filter((r) => r.answerNonce !== undefined && logged.has(r.answerNonce)).length}/${accepted.length}`;
}

/** Phase 7: everything this run started, stopped. */
async function tearDown(stack: Stack): Promise<void> {
  await stack.client.connection.close();
  await Promise.all(stack.workers.map((w) => (w ? stopProcess(w, 5_000) : Promise.resolve())));
  await stack.peer.close();
  await stack.orderService.close();
  await stack.server.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  console.log(
    `chaos: ${ORDERS} orders, 0 kills, 0 faults injected, 1 invariant violations (the run failed: ${(err as Error).message})`,
  );
  process.exit(1);
});
