/**
 * `npm start`: the whole system locally on its embedded default — the Temporal dev server with its Web UI (state in
 * .data/temporal.sqlite), the WeChat Pay simulator, the order-service stub and a worker — and a small demo batch of
 * orders whose progress is printed. Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  beginPayment,
  getStatus,
  markPaid,
  cancelOrder,
  startOrderTimeout,
  workflowIdFor,
  type OrderInput,
  type OrderPhase,
} from '../client';
import { DATA_DIR, projectRoot } from '../simulator/data-dir';
import { startSimulators } from '../simulator/main';
import { createPluginClient } from '../wechatpay/plugin';
import { loadPrivateKey, loadPublicKey } from '../wechatpay/keys';
import { scheduleLatePay, seedOrder } from '../simulator/admin-client';
import type { WechatpayPeer } from '../simulator/wechatpay-peer';
import type { OrderService } from '../simulator/order-service';
import { portInUse, startDevServer, stopProcess, waitFor, type DevServer } from './dev-server';

const PORTS = { temporal: 7233, ui: 8233, wechatpay: 8240, orderService: 8241 } as const;
const TERMINAL: ReadonlySet<string> = new Set(['PAID', 'REVERSED', 'RESOLVED_MANUALLY', 'NEEDS_ATTENTION']);

/** One demo order: how its pay call goes and what the checkout does next. */
interface DemoOrder {
  label: string;
  input: OrderInput;
  pay: 'SUCCESS' | 'FAIL' | 'HANG' | 'NONE';
  then: 'markPaid' | 'nothing' | 'cancel';
  setup?: (peer: WechatpayPeer, orderService: OrderService) => void | Promise<void>;
  expected: OrderPhase;
}

function demoBatch(): DemoOrder[] {
  const run = Date.now().toString(36).toUpperCase();
  const order = (suffix: string, subs: number): OrderInput => {
    const no = `DEMO${run}${suffix}`;
    return {
      combineOutTradeNo: no,
      combineAppid: 'wxd678efh567hg6787',
      subOrders: Array.from({ length: subs }, (_, i) => ({
        mchid: '1900009191',
        outTradeNo: `${no}S${i + 1}`,
        subMchid: `190000${String(1001 + i)}`,
      })),
      paymentTimeout: '30s',
      // Demo only: the pay calls below give up after 20 s, so a 25 s window covers them (production: 75 s).
      payWindow: '25s',
      orderCreatedAt: new Date().toISOString(),
      retryPolicy: { reverse: { maximumInterval: '5s' }, compensation: { maximumInterval: '5s' } },
    };
  };
  return [
    { label: 'paid in time', input: order('PAID1', 2), pay: 'SUCCESS', then: 'markPaid', expected: 'PAID' },
    { label: 'paid in time', input: order('PAID2', 3), pay: 'SUCCESS', then: 'markPaid', expected: 'PAID' },
    {
      label: 'debit hung (money moved, never confirmed): the query shows SUCCESS → refund (default)',
      input: order('HUNG', 2),
      pay: 'HANG',
      then: 'nothing',
      expected: 'REVERSED',
    },
    {
      label: 'debit hung, onPaidAtDeadline ADOPT: the query shows SUCCESS → PAID, announced downstream',
      input: { ...order('ADOPT', 2), onPaidAtDeadline: 'ADOPT' },
      pay: 'HANG',
      then: 'nothing',
      expected: 'PAID',
    },
    {
      label: 'already closed at WeChat Pay (merchant portal): the query shows CLOSED → no reverse call, compensate',
      input: order('CLOSED', 2),
      pay: 'NONE',
      then: 'nothing',
      expected: 'REVERSED',
      setup: (peer) => seedOrder(peer.url, order('CLOSED', 2), 'CLOSED'),
    },
    {
      label: 'the debit lands after the reverse said "no such order" → reversed again (refund), then compensate',
      input: order('LATE', 2),
      pay: 'NONE',
      then: 'nothing',
      expected: 'REVERSED',
      setup: async (peer) => void (await scheduleLatePay(peer.url, order('LATE', 2), 'REVERSE_NOT_FOUND')),
    },
    {
      label: 'debit failed, never confirmed → close',
      input: order('FAIL', 2),
      pay: 'FAIL',
      then: 'nothing',
      expected: 'REVERSED',
    },
    {
      label: 'pay call never sent → no such order',
      input: order('NOPAY', 1),
      pay: 'NONE',
      then: 'nothing',
      expected: 'REVERSED',
    },
    {
      label: 'customer cancelled → reverse once the pay call window has closed',
      input: order('CANCEL', 2),
      pay: 'HANG',
      then: 'cancel',
      expected: 'REVERSED',
    },
    {
      label: 'WeChat Pay misbehaves (500, tampered signature, reset; order service 503) → recovers',
      input: order('FAULTS', 3),
      pay: 'HANG',
      then: 'nothing',
      expected: 'REVERSED',
      setup: (peer, orderService) => {
        const no = `DEMO${run}FAULTS`;
        for (const kind of ['SYSTEM_ERROR', 'TAMPER', 'RESET'] as const)
          peer.faults.add({ route: 'reverse', kind, count: 1, orderNo: no });
        orderService.faults.add({ kind: '503', count: 2, orderNo: `${no}S2` });
      },
    },
    {
      label: 'WeChat Pay rejects the reverse (PARAM_ERROR) → waits for an operator',
      input: order('ATTN', 2),
      pay: 'SUCCESS',
      then: 'nothing',
      expected: 'NEEDS_ATTENTION',
      setup: (peer) => {
        peer.faults.add({ route: 'reverse', kind: 'PARAM_ERROR', count: 1, orderNo: `DEMO${run}ATTN` });
      },
    },
  ];
}

/** What is running, for a clean stop on Ctrl-C or on a failed start. */
const running: { children: ChildProcess[]; server?: DevServer; sims?: Awaited<ReturnType<typeof startSimulators>> } = {
  children: [],
};
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nStopping: worker, simulators, Temporal dev server…');
    await Promise.all(running.children.map((c) => stopProcess(c, 25_000)));
    await Promise.all([running.sims?.peer.close(), running.sims?.orderService.close()]);
    await running.server?.stop();
    console.log('Stopped. History is kept in .data/temporal.sqlite for the next npm start.');
  }
  process.exit(code);
}

async function main(): Promise<void> {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const busy: string[] = [];
  for (const [what, port] of Object.entries(PORTS)) {
    if (await portInUse(port)) busy.push(`${port} (${what})`);
  }
  if (busy.length > 0) {
    throw new Error(
      `Port(s) already in use: ${busy.join(', ')}. Another \`npm start\` or Temporal server is probably running: stop it (Ctrl-C) and run npm start again.`,
    );
  }
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  console.log('Starting the Temporal dev server (state in .data/temporal.sqlite)…');
  const server = await startDevServer({
    port: PORTS.temporal,
    uiPort: PORTS.ui,
    dbFile: path.join(DATA_DIR, 'temporal.sqlite'),
    logFile: path.join(DATA_DIR, 'temporal-dev-server.log'),
  });
  running.server = server;
  const sims = await startSimulators({ wechatpay: PORTS.wechatpay, orderService: PORTS.orderService });
  running.sims = sims;
  console.log(`Temporal Web UI: ${server.uiUrl}`);
  console.log(`WeChat Pay simulator: ${sims.peer.url}`);
  console.log(`Order service stub: ${sims.orderService.url}`);

  const workerLog = path.join(DATA_DIR, 'worker.log');
  const logFd = fs.openSync(workerLog, 'a');
  const worker = spawn(process.execPath, [path.join(projectRoot(), 'dist', 'worker', 'main.js')], {
    env: { ...process.env, ...sims.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  running.children.push(worker);
  const logStart = fs.statSync(workerLog).size;
  await waitFor(
    'the worker to poll its task queue (see .data/worker.log)',
    async () => {
      if (worker.exitCode !== null) throw new Error(`the worker exited (${worker.exitCode}); see ${workerLog}`);
      return fs.readFileSync(workerLog, 'utf8').slice(logStart).includes('worker polling');
    },
    { timeoutMs: 60_000 },
  );
  console.log(`Worker: running (log: ${path.relative(process.cwd(), workerLog)})`);

  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const batch = demoBatch();
  const pay = createPluginClient({
    mchid: sims.identity.mchid,
    serial: sims.identity.merchantSerial,
    privateKey: loadPrivateKey('simulator merchant key', sims.identity.merchantPrivateKeyPath),
    certs: { [sims.identity.publicKeyId]: loadPublicKey('simulator public key', sims.identity.wechatpayPublicKeyPath) },
    baseURL: sims.peer.url,
    timeout: 5_000,
    headers: { 'Wechatpay-Serial': sims.identity.publicKeyId },
    maxContentLength: 65_536,
    maxBodyLength: 65_536,
    maxRedirects: 0,
  }).v3;
  sims.peer.settings.payHangMs = 20_000;

  console.log(`\nDemo batch: ${batch.length} orders, payment timeout 30 s each.`);
  for (const demo of batch) {
    const no = demo.input.combineOutTradeNo;
    await demo.setup?.(sims.peer, sims.orderService);
    await startOrderTimeout(client, demo.input);
    if (demo.pay !== 'NONE') {
      // The checkout announces each pay call first, and sends it only if the order still takes payment.
      await beginPayment(client, no, { attemptId: `${no}-1` });
      sims.peer.payScript.set(no, demo.pay);
      // The checkout's synchronous debit; a HANG outlives its 5 s timeout, so the outcome stays unknown.
      void pay
        .post('v3/ecommerce/combine-papay/transactions', {
          combine_appid: demo.input.combineAppid,
          combine_out_trade_no: no,
          sub_orders: demo.input.subOrders.map((s) => ({
            mchid: s.mchid,
            out_trade_no: s.outTradeNo,
            sub_mchid: s.subMchid,
          })),
        })
        .then(
          () => (demo.then === 'markPaid' ? markPaid(client, no, { source: 'pay-response' }) : undefined),
          () => undefined,
        );
    }
    if (demo.then === 'cancel') await cancelOrder(client, no, 'customer closed the checkout page');
    const link = `${server.uiUrl}/namespaces/${server.namespace}/workflows/${encodeURIComponent(workflowIdFor(no))}`;
    console.log(`  ${no}  ${demo.label}\n    ${link}`);
  }

  console.log('\nProgress (phase changes):');
  const last = new Map<string, string>();
  const started = Date.now();
  while (last.size < batch.length || [...last.values()].some((p) => !TERMINAL.has(p))) {
    for (const demo of batch) {
      const no = demo.input.combineOutTradeNo;
      const phase = await getStatus(client, no).then(
        (s) => s.phase,
        () => undefined,
      );
      if (phase && phase !== last.get(no)) {
        last.set(no, phase);
        const secs = Math.round((Date.now() - started) / 1000);
        console.log(`  +${String(secs).padStart(3)}s  ${no.padEnd(24)} ${phase}`);
      }
    }
    if (Date.now() - started > 180_000) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const byPhase = new Map<string, number>();
  for (const p of last.values()) byPhase.set(p, (byPhase.get(p) ?? 0) + 1);
  console.log(`\nDemo done: ${[...byPhase].map(([p, n]) => `${n} ${p}`).join(', ')}.`);
  console.log(
    `Find them in the Web UI with the query  CombineOutTradeNo STARTS_WITH "DEMO"  or  PaymentPhase="NEEDS_ATTENTION".`,
  );
  console.log(
    'The NEEDS_ATTENTION order resumes with a "retry" signal (Web UI: Send a Signal, name retry, input empty).',
  );
  console.log('Press Ctrl-C to stop.');
  await client.connection.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  void shutdown(1);
});
