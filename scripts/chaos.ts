/**
 * `npm run test:chaos`: many orders with short deadlines on the local stack while WeChat Pay and the order service
 * misbehave, worker processes are SIGKILLed and restarted, two workers share the queue, and the dev server restarts
 * once. Then it checks the invariants from the peers' logs and the workflow results, prints a summary table and ends
 * with `chaos: N orders, K kills, F faults injected, V invariant violations`.
 *
 * Sizes from the environment: CHAOS_ORDERS (500), CHAOS_KILLS (5), CHAOS_FAULT_RATE (0.35), CHAOS_SEED (7).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { markPaid, startOrderTimeout, MarkPaidRefusedError, type OrderInput, type OrderResult } from '../client';
import { loadOrCreateIdentity, workerEnvFor } from '../simulator/keys';
import { startOrderService, type OrderServiceFault } from '../simulator/order-service';
import { seededRandom } from '../simulator/faults';
import { AFTER_EFFECT, RECOVERABLE_FAULTS, startWechatpayPeer, type PeerLogEntry } from '../simulator/wechatpay-peer';
import { projectRoot } from '../simulator/data-dir';
import { PaymentPhaseKey } from '../workflows/search-attributes';
import { freePort, startDevServer, stopProcess, type DevServer } from './dev-server';

const ORDERS = Number(process.env.CHAOS_ORDERS ?? 500);
const KILLS = Number(process.env.CHAOS_KILLS ?? 5);
const FAULT_RATE = Number(process.env.CHAOS_FAULT_RATE ?? 0.35);
const SEED = Number(process.env.CHAOS_SEED ?? 7);
const HMAC = 'chaos-run-hmac-secret-0123456789';

const DOWNSTREAM_FAULTS: OrderServiceFault[] = ['500', '503', '429', '408', 'RESET', 'DELAY'];

type Plan = 'PAID' | 'UNPAID' | 'DEBITED' | 'NO_ORDER' | 'NEEDS_ATTENTION';

interface ChaosOrder {
  input: OrderInput;
  plan: Plan;
  markPaidAccepted?: boolean;
  result?: OrderResult;
  phase?: string;
  error?: string;
}

function log(line: string): void {
  console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

async function main(): Promise<void> {
  const random = seededRandom(SEED);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-chaos-'));
  const dbFile = path.join(work, 'temporal.sqlite');
  const port = await freePort();
  log(`work dir ${work}; ${ORDERS} orders, ${KILLS} worker kills, fault rate ${FAULT_RATE}, seed ${SEED}`);

  let server: DevServer = await startDevServer({
    port,
    headless: true,
    dbFile,
    logFile: path.join(work, 'server.log'),
  });
  const identity = loadOrCreateIdentity(path.join(work, 'keys'));
  const peer = await startWechatpayPeer(identity, { seed: SEED, settings: { delayMs: 3_000 } });
  const orderService = await startOrderService({ secret: HMAC, seed: SEED + 1, delayMs: 3_000 });
  const taskQueue = `chaos-${Date.now().toString(36)}`;
  const workerEnv = {
    ...process.env,
    ...workerEnvFor(identity, { wechatpay: peer.url, compensation: orderService.url }),
    COMPENSATION_HMAC_SECRET: HMAC,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WECHATPAY_TIMEOUT_MS: '1500',
    COMPENSATION_TIMEOUT_MS: '1500',
    WECHATPAY_AUTH_RETRY_DELAY: '2s',
    LOG_LEVEL: 'WARN',
  };
  // From dist/ the worker runs compiled (with its prebuilt bundle); from sources through ts-node.
  const fromSources = __filename.endsWith('.ts');
  const workerArgs = fromSources
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

  // The orders: deadlines spread over the first minute, a plan for each.
  const orders: ChaosOrder[] = [];
  const run = Date.now().toString(36).toUpperCase();
  for (let i = 0; i < ORDERS; i++) {
    const no = `CH${run}${String(i).padStart(5, '0')}`;
    const r = random();
    const plan: Plan =
      r < 0.2 ? 'PAID' : r < 0.5 ? 'UNPAID' : r < 0.8 ? 'DEBITED' : r < 0.97 ? 'NO_ORDER' : 'NEEDS_ATTENTION';
    const input: OrderInput = {
      combineOutTradeNo: no,
      combineAppid: 'wxd678efh567hg6787',
      subOrders: [
        { mchid: '1900009191', outTradeNo: `${no}A`, subMchid: '1900001001' },
        { mchid: '1900009191', outTradeNo: `${no}B`, subMchid: '1900001002' },
      ],
      orderCreatedAt: new Date(Date.now() - 15_000).toISOString(),
      paymentTimeout: 20_000 + Math.floor(random() * 45_000),
      retryPolicy: {
        reverse: { initialInterval: '200ms', maximumInterval: '3s', scheduleToClose: '30m' },
        compensation: { initialInterval: '200ms', maximumInterval: '3s', scheduleToClose: '30m' },
      },
    };
    if (plan !== 'NO_ORDER') {
      peer.orders.set(no, {
        combineOutTradeNo: no,
        combineAppid: input.combineAppid,
        subOrders: input.subOrders.map((s) => ({ mchid: s.mchid, out_trade_no: s.outTradeNo, sub_mchid: s.subMchid })),
        state: plan === 'PAID' || plan === 'DEBITED' ? 'SUCCESS' : 'PAYING',
        createdAt: new Date().toISOString(),
        reverseRequests: 0,
      });
    }
    if (plan === 'NEEDS_ATTENTION') peer.faults.add({ route: 'reverse', kind: 'PARAM_ERROR', count: 1, orderNo: no });
    orders.push({ input, plan });
  }
  // Random faults come after the scripted ones, so that they cannot pre-empt them.
  const perReverseFault = FAULT_RATE / RECOVERABLE_FAULTS.length;
  // Each rule fires with its probability given that earlier ones did not: scale so the total is FAULT_RATE.
  let remaining = 1;
  for (const kind of RECOVERABLE_FAULTS) {
    peer.faults.add({ route: 'reverse', kind, probability: Math.min(1, perReverseFault / remaining) });
    remaining -= perReverseFault;
  }
  remaining = 1;
  const perDownstream = 0.2 / DOWNSTREAM_FAULTS.length;
  for (const kind of DOWNSTREAM_FAULTS) {
    orderService.faults.add({ kind, probability: Math.min(1, perDownstream / remaining) });
    remaining -= perDownstream;
  }

  log('starting orders');
  for (let i = 0; i < orders.length; i += 25) {
    await Promise.all(
      orders.slice(i, i + 25).map((o) => withRetry(() => startOrderTimeout(client, o.input, { taskQueue }))),
    );
  }
  log(`started ${orders.length} orders; confirming the paid ones`);
  const confirmations = Promise.all(
    orders
      .filter((o) => o.plan === 'PAID')
      .map(async (o) => {
        await new Promise((r) => setTimeout(r, random() * 5_000));
        try {
          await withRetry(() => markPaid(client, o.input.combineOutTradeNo, { source: 'chaos' }));
          o.markPaidAccepted = true;
        } catch (err) {
          o.markPaidAccepted = false;
          if (!(err instanceof MarkPaidRefusedError)) o.error = `markPaid: ${(err as Error).message}`;
        }
      }),
  );

  // Chaos: kills at random moments within the busy minute, and one server restart.
  let kills = 0;
  const killedAt: number[] = [];
  const chaos = (async () => {
    const killTimes = Array.from({ length: KILLS }, () => 5_000 + random() * 70_000).sort((a, b) => a - b);
    const restartAt = 40_000;
    let restarted = false;
    const t0 = Date.now();
    for (const at of killTimes) {
      if (!restarted && at > restartAt) {
        await sleepUntil(t0 + restartAt);
        log('restarting the dev server (same sqlite file, same port)');
        await server.stop();
        server = await startDevServer({ port, headless: true, dbFile, logFile: path.join(work, 'server.log') });
        restarted = true;
      }
      await sleepUntil(t0 + at);
      const slot = random() < 0.5 ? 0 : 1;
      workers[slot]?.kill('SIGKILL');
      killedAt.push(Date.now());
      kills += 1;
      log(`SIGKILL worker ${slot} (kill ${kills}/${KILLS}); restarting it`);
      await new Promise((r) => setTimeout(r, 500));
      startWorker(slot);
    }
    if (!restarted) {
      await sleepUntil(t0 + restartAt);
      log('restarting the dev server (same sqlite file, same port)');
      await server.stop();
      server = await startDevServer({ port, headless: true, dbFile, logFile: path.join(work, 'server.log') });
    }
  })();

  // Wait for every order to settle.
  const deadline = Date.now() + Number(process.env.CHAOS_MAX_MS ?? 15 * 60_000);
  let pending = orders;
  while (pending.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 3_000));
    const next: ChaosOrder[] = [];
    for (let i = 0; i < pending.length; i += 50) {
      await Promise.all(
        pending.slice(i, i + 50).map(async (o) => {
          const handle = client.workflow.getHandle(`combine-papay-${o.input.combineOutTradeNo}`);
          try {
            const d = await handle.describe();
            if (d.status.name === 'COMPLETED') {
              o.result = (await handle.result()) as OrderResult;
              o.phase = o.result.outcome;
              return;
            }
            if (d.status.name !== 'RUNNING') {
              o.phase = d.status.name;
              return;
            }
            if (d.typedSearchAttributes.get(PaymentPhaseKey) === 'NEEDS_ATTENTION') {
              o.phase = 'NEEDS_ATTENTION';
              return;
            }
          } catch (err) {
            if (err instanceof WorkflowFailedError) o.phase = 'FAILED';
          }
          next.push(o);
        }),
      );
    }
    pending = next;
    log(`${orders.length - pending.length}/${orders.length} orders settled`);
  }
  await chaos;
  await confirmations;

  // Invariants.
  const violations: string[] = [];
  let lostRefusals = 0;
  const byOrder = new Map<string, PeerLogEntry[]>();
  for (const e of peer.log) if (e.orderNo) byOrder.set(e.orderNo, [...(byOrder.get(e.orderNo) ?? []), e]);
  for (const o of orders) {
    const no = o.input.combineOutTradeNo;
    const reverses = (byOrder.get(no) ?? []).filter((e) => e.route === 'reverse');
    const comps = orderService.log.filter((e) => e.combineOutTradeNo === no);
    const v = (what: string): void => {
      violations.push(`${no} (${o.plan}): ${what}`);
    };
    // A refused reverse whose answer died with a SIGKILLed worker was never seen by Temporal: the activity times out
    // and is retried, and the retry may be accepted. That order legitimately ends REVERSED.
    const refusal = reverses.find((e) => e.fault === 'PARAM_ERROR');
    const refusalLost =
      o.plan === 'NEEDS_ATTENTION' &&
      refusal !== undefined &&
      killedAt.some((k) => k >= Date.parse(refusal.at) - 100 && k <= Date.parse(refusal.at) + 3_000);
    if (refusalLost) lostRefusals += 1;
    if (!o.phase) v('did not settle');
    else if (refusalLost && o.phase === 'REVERSED') {
      // allowed, checked below like every reversed order
    } else if (o.plan === 'NEEDS_ATTENTION' ? o.phase !== 'NEEDS_ATTENTION' : o.phase === 'NEEDS_ATTENTION') {
      v(`ended ${o.phase}`);
    } else if (!['PAID', 'REVERSED', 'NEEDS_ATTENTION'].includes(o.phase)) v(`ended ${o.phase}`);
    if (o.markPaidAccepted && (o.phase !== 'PAID' || reverses.length > 0)) v('confirmed paid, yet reversed');
    if (o.phase === 'PAID' && !o.markPaidAccepted) v('PAID without an accepted markPaid');
    if (o.phase !== 'REVERSED' && comps.length > 0 && o.plan !== 'NEEDS_ATTENTION')
      v('compensated without being reversed');
    if (o.plan === 'NEEDS_ATTENTION' && !refusalLost && comps.length > 0)
      v('compensated while the reverse was refused');
    if (o.phase === 'REVERSED' && o.result?.reverse) {
      const accepted = o.result.reverse;
      const clean = reverses.filter(
        (e) =>
          e.answerVerifiable &&
          !(e.fault !== undefined && AFTER_EFFECT.has(e.fault)) &&
          e.status === accepted.httpStatus,
      );
      if (clean.length === 0) v(`accepted a ${accepted.httpStatus} that no clean, verifiable answer carried`);
      const firstAccepted = clean[0]?.at ?? '9999';
      const firstEffect = reverses.find((e) => e.effect)?.at ?? firstAccepted;
      const earliest = firstEffect < firstAccepted ? firstEffect : firstAccepted;
      if (comps.some((c) => c.at < earliest)) v('a compensation reached the order service before any accepted reverse');
      if (reverses.filter((e) => e.effect).length > 1) v('the reverse took effect more than once');
      const state = peer.orders.get(no)?.state;
      if (o.plan !== 'NO_ORDER' && state !== 'CLOSED' && state !== 'REFUND') v(`order left ${state} at WeChat Pay`);
      for (const sub of o.input.subOrders) {
        const key = `${no}:${sub.outTradeNo}`;
        const forSub = comps.filter((c) => c.outTradeNo === sub.outTradeNo);
        if (forSub.some((c) => c.idempotencyKey !== key)) v(`${sub.outTradeNo} sent under another Idempotency-Key`);
        if (forSub.filter((c) => c.effective).length !== 1)
          v(`${sub.outTradeNo} compensated ${forSub.filter((c) => c.effective).length} times`);
        if (forSub.some((c) => c.signatureOk !== true)) v(`${sub.outTradeNo} sent without a valid HMAC`);
      }
    }
    if (o.error) v(o.error);
  }
  for (const e of peer.log)
    if (e.authProblem) violations.push(`request ${e.seq} to WeChat Pay was badly signed: ${e.authProblem}`);

  // Summary.
  const table = new Map<string, number>();
  for (const o of orders)
    table.set(`${o.plan} → ${o.phase ?? 'unsettled'}`, (table.get(`${o.plan} → ${o.phase ?? 'unsettled'}`) ?? 0) + 1);
  const reverseCalls = peer.log.filter((e) => e.route === 'reverse').length;
  const reverseFaults = peer.log.filter((e) => e.route === 'reverse' && e.fault).length;
  const downstreamFaults = orderService.log.filter((e) => e.fault).length;
  console.log('\n| plan → outcome | orders |\n|---|---|');
  for (const [k, n] of [...table].sort()) console.log(`| ${k} | ${n} |`);
  console.log('\n| fault | injected |\n|---|---|');
  for (const [k, n] of [...peer.faults.injected].sort()) console.log(`| WeChat Pay ${k} | ${n} |`);
  for (const [k, n] of [...orderService.faults.injected].sort()) console.log(`| order service ${k} | ${n} |`);
  console.log(
    `\nreverse calls ${reverseCalls}, ${reverseFaults} faulted (${Math.round((100 * reverseFaults) / Math.max(1, reverseCalls))}%); ` +
      `compensation calls ${orderService.log.length}, ${downstreamFaults} faulted; worker kills ${kills}; server restarts 1; ` +
      `refusals within 3 s of a worker kill (allowed to end REVERSED) ${lostRefusals}`,
  );
  for (const v of violations.slice(0, 30)) console.log(`VIOLATION ${v}`);

  await client.connection.close();
  await Promise.all(workers.map((w) => (w ? stopProcess(w, 5_000) : Promise.resolve())));
  await peer.close();
  await orderService.close();
  await server.stop();
  const faults = reverseFaults + downstreamFaults;
  console.log(
    `chaos: ${orders.length} orders, ${kills} kills, ${faults} faults injected, ${violations.length} invariant violations`,
  );
  process.exit(violations.length === 0 ? 0 : 1);
}

async function sleepUntil(t: number): Promise<void> {
  const ms = t - Date.now();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/** Retries a client call through the server restart. */
async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const transient = /UNAVAILABLE|connect|ECONNREFUSED|deadline/i.test(String((err as Error).message));
      if (!transient || attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  console.log(
    `chaos: ${ORDERS} orders, 0 kills, 0 faults injected, 1 invariant violations (the run failed: ${(err as Error).message})`,
  );
  process.exit(1);
});
