/**
 * `npm run test:chaos`: many orders with short deadlines and pay windows on the local stack while WeChat Pay (query and
 * reverse) and the order service (compensation and payment confirmation) misbehave, worker processes (the built
 * worker, dist/worker/main.js) are SIGKILLed and restarted, two workers share the queue, and the dev server restarts
 * once. Then the invariants of `tools/devstack/chaos/invariants.ts` are checked over the peers' logs, the peer's final
 * orders and the workflow results, and the money oracle (`tools/devstack/books.ts`, rule o) reconciles every day of
 * the run against the peer's trade bill with the product's own reconciliation; it prints a summary table and ends with
 * `chaos: N orders, K kills, F faults injected, V invariant violations, bill: D days, R rows, M matched, U unsettled,
 * X mismatches`.
 *
 * One seed decides everything the run chooses (`tools/devstack/chaos/plan.ts`): the orders' plans and deadlines, each
 * checkout's script, every fault rule and the seeds of the peers' fault draws, the kills and their workers, the
 * operator's actions. The run prints `seed N, plan digest D` at its start and in its summary; the same seed and sizes
 * give the same digest. Temporal's own timing (and so which request a probability fault hits) may differ.
 *
 * Sizes from flags, else the environment: --seed / CHAOS_SEED (7), --orders / CHAOS_ORDERS (500), --kills /
 * CHAOS_KILLS (5), --fault-rate / CHAOS_FAULT_RATE (0.35); CHAOS_MAX_MS (15 minutes to settle).
 * `--campaign N`: N seeds in sequence (from --seed, else from the clock), each a whole run in a child process (40
 * orders and 2 kills unless --orders and --kills say otherwise), a line each; failing seeds are kept as regression
 * plans in `tools/devstack/chaos/regressions.json`. `--regressions`: replays those plans
 * (`tools/devstack/chaos/campaign.ts`).
 *
 * This entry point runs the stack, the kills and the settling; the plan is `tools/devstack/chaos/plan.ts`, the closing
 * report `tools/devstack/chaos/report.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { applyChaosPlan, planChaosRun, planDigest, type ChaosRunPlan } from '../devstack/chaos/plan';
import { runCampaign, replayRegressions } from '../devstack/chaos/campaign';
import { printChaosReport } from '../devstack/chaos/report';
import { balanceBooks, booksLine } from '../devstack/books';
import { placeOrders, settleOrder, sleep } from '../devstack/checkout-sim';
import { projectRoot } from '../devstack/data-dir';
import { freePort, startDevServer, stopProcess, type DevServer } from '../devstack/dev-server';
import { workerArgs as workerArgsFor } from '../devstack/worker-args';
import { checkInvariants, refusalsLostWithKill, type CheckedOrder } from '../devstack/chaos/invariants';
import { loadOrCreateIdentity, workerEnvFor } from '../simulator/keys';
import { startOrderService, type OrderService } from '../simulator/order-service';
import { startWechatpayPeer, type WechatpayPeer } from '../simulator/wechatpay/peer';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string' },
    orders: { type: 'string' },
    kills: { type: 'string' },
    'fault-rate': { type: 'string' },
    campaign: { type: 'string' },
    regressions: { type: 'boolean' },
  },
});
/** A number from its flag, else its environment variable, else the default; anything else stops the run. */
function numberFrom(flag: string | undefined, env: string | undefined, fallback: number, name: string): number {
  const text = flag ?? env;
  const n = text === undefined || text === '' ? fallback : Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number ≥ 0, not ${text}`);
  return n;
}
const ORDERS = numberFrom(args.orders, process.env.CHAOS_ORDERS, 500, '--orders');
const KILLS = numberFrom(args.kills, process.env.CHAOS_KILLS, 5, '--kills');
const FAULT_RATE = numberFrom(args['fault-rate'], process.env.CHAOS_FAULT_RATE, 0.35, '--fault-rate');
const SEED = numberFrom(args.seed, process.env.CHAOS_SEED, 7, '--seed');
const MAX_MS = Number(process.env.CHAOS_MAX_MS ?? 15 * 60_000);
/** The Standard Webhooks secret of this run (`whsec_<base64>`). */
const HMAC = `whsec_${Buffer.from('chaos-run-hmac-secret-0123456789').toString('base64')}`;
/** The running stack: dev server, peers, workers, client. */
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
}

function log(line: string): void {
  console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

async function main(): Promise<void> {
  const began = Date.now();
  // Phase 0 (tools/devstack/chaos/plan.ts): everything the seed decides, before anything runs.
  const plan = planChaosRun(SEED, { orders: ORDERS, kills: KILLS, faultRate: FAULT_RATE });
  const seedLine =
    `seed ${SEED}, plan digest ${planDigest(plan)}; replay: npm run test:chaos -- ` +
    `--seed ${SEED} --orders ${ORDERS} --kills ${KILLS} --fault-rate ${FAULT_RATE}`;
  log(seedLine);
  const stack = await setUp(plan);
  // Phase 2a and 2b: the orders closed at WeChat Pay and the faults the peers inject.
  applyChaosPlan(stack, plan);
  const { orders } = plan;
  const { payments } = await placeChaosOrders(stack, orders);
  const [killedAt] = await Promise.all([chaos(stack, plan), waitToSettle(stack, orders)]);
  await payments;
  const { violations, lostRefusals } = check(stack, orders, killedAt);
  // Rule o: the books balance. Every day of the run reconciled against the peer's trade bill, 0 mismatches.
  const books = await balanceBooks(stack.client, {
    peerUrl: stack.peer.url,
    taskQueue: stack.taskQueue,
    subMchids: [...new Set(orders.flatMap((o) => o.input.subOrders.map((s) => s.subMchid)))],
    since: began,
  });
  violations.push(...books.problems.map((p) => `rule o (the books balance): ${p}`));
  // Phase 6 (tools/devstack/chaos/report.ts): the summary table, call counts, violations.
  const summary = { kills: killedAt.length, lostRefusals, violations, seconds: secs(began), seedLine };
  const faults = printChaosReport(stack, orders, summary);
  await tearDown(stack);
  console.log(
    `chaos: ${orders.length} orders, ${killedAt.length} kills, ${faults} faults injected, ${violations.length} invariant violations, ${booksLine(books)}`,
  );
  process.exit(violations.length === 0 ? 0 : 1);
}

/** Phase 1: the dev server (sqlite, so it survives its restart), both peers in-process, two workers, a client. */
async function setUp(plan: ChaosRunPlan): Promise<Stack> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-chaos-'));
  const port = await freePort();
  log(`work dir ${work}; ${ORDERS} orders, ${KILLS} worker kills, fault rate ${FAULT_RATE}, seed ${SEED}`);
  const server = await startServer(work, port);
  const identity = loadOrCreateIdentity(path.join(work, 'keys'));
  const { faultSeeds } = plan;
  const peer = await startWechatpayPeer(identity, { seed: faultSeeds.wechatpay, settings: { delayMs: 3_000 } });
  const orderService = await startOrderService({ secrets: HMAC, seed: faultSeeds.orderService, delayMs: 3_000 });
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
  const workerArgs = workerArgsFor();
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
  return { work, port, server, peer, orderService, client, taskQueue, workers, startWorker };
}

function startServer(work: string, port: number): Promise<DevServer> {
  const dbFile = path.join(work, 'temporal.sqlite');
  return startDevServer({ port, headless: true, dbFile, logFile: path.join(work, 'server.log') });
}

/**
 * Phase 2c: starts every order (orderCreatedAt 15 s in the past), 25 at a time; right after its start each order
 * with a pay call announces it (`beginPayment`) and pays (simulated at the peer), and PAID ones are confirmed.
 * Resolves once all are started, with the promise of those payments.
 */
async function placeChaosOrders(stack: Stack, orders: CheckedOrder[]): Promise<{ payments: Promise<void> }> {
  log('starting orders');
  const placed = await placeOrders(stack, orders, 25, 'chaos');
  log(`started ${orders.length} orders; paying and confirming`);
  return placed;
}

/** Phase 3: the planned worker SIGKILLs (time and worker) and one dev-server restart; the kill times. */
async function chaos(stack: Stack, plan: ChaosRunPlan): Promise<number[]> {
  const t0 = Date.now();
  const events = [
    ...plan.kills.map((k) => ({ ...k, kill: true })),
    { at: plan.serverRestartAt, slot: 0, kill: false },
  ].sort((a, b) => a.at - b.at);
  const killedAt: number[] = [];
  for (const event of events) {
    await sleep(t0 + event.at - Date.now());
    if (!event.kill) {
      log('restarting the dev server (same sqlite file, same port)');
      await stack.server.stop();
      stack.server = await startServer(stack.work, stack.port);
      log('the dev server is back');
      continue;
    }
    const { slot } = event;
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
          if (!(await settleOrder(stack, o))) next.push(o);
        }),
      );
    }
    pending = next;
    log(`${orders.length - pending.length}/${orders.length} orders settled`);
  }
}

/** Phase 5: the invariants (tools/devstack/chaos/invariants.ts) over what the client saw and what the peers logged. */
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

/** Phase 7: everything this run started, stopped. */
async function tearDown(stack: Stack): Promise<void> {
  await stack.client.connection.close();
  await Promise.all(stack.workers.map((w) => (w ? stopProcess(w, 5_000) : Promise.resolve())));
  await stack.peer.close();
  await stack.orderService.close();
  await stack.server.stop();
}

const entry = args.regressions
  ? replayRegressions()
  : args.campaign !== undefined
    ? runCampaign({
        runs: numberFrom(args.campaign, undefined, 5, '--campaign'),
        ...(args.seed !== undefined ? { firstSeed: SEED } : {}),
        orders: numberFrom(args.orders, undefined, 40, '--orders'),
        kills: numberFrom(args.kills, undefined, 2, '--kills'),
        faultRate: FAULT_RATE,
      })
    : main().then(() => 0);
entry.then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    if (args.regressions || args.campaign !== undefined) process.exit(1);
    console.log(
      `chaos: ${ORDERS} orders, 0 kills, 0 faults injected, 1 invariant violations (the run failed: ${(err as Error).message})`,
    );
    process.exit(1);
  },
);
