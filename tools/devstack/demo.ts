/**
 * The `npm start` demo batch: one order per interesting row of the lifecycle, each with the pay call a checkout
 * would make (announced with `beginPayment` first) and what the checkout does next; then the phases as they change.
 */
import type { Client } from '@temporalio/client';
import {
  beginPayment,
  cancelOrder,
  orderStatus,
  markPaid,
  startOrder,
  workflowIdFor,
  type OrderInput,
  type OrderPhase,
} from '../../client';
import { scheduleLatePay, seedOrder } from '../simulator/admin-client';
import { SIMULATOR_PAY_WINDOW_FLOOR } from '../simulator/keys';
import { sampleOrderInput } from './order-input';
import type { startSimulators } from '../simulator/local';
import type { OrderService } from '../simulator/order-service';
import type { WechatpayPeer } from '../simulator/wechatpay/peer';
import { createPluginClient } from '../../wechatpay/plugin';
import { loadPrivateKey, loadPublicKey } from '../../wechatpay/keys';

/** The simulators `npm start` runs. */
export type Simulators = Awaited<ReturnType<typeof startSimulators>>;

/** One demo order: how its pay call goes and what the checkout does next. */
export interface DemoOrder {
  label: string;
  input: OrderInput;
  pay: 'SUCCESS' | 'FAIL' | 'HANG' | 'NONE';
  then: 'markPaid' | 'nothing' | 'cancel';
  /** Prepares the simulators for this order (a state at WeChat Pay, a late debit, faults). */
  setup?: (peer: WechatpayPeer, orderService: OrderService, input: OrderInput) => void | Promise<void>;
  expected: OrderPhase;
}

const TERMINAL: ReadonlySet<string> = new Set(['PAID', 'REVERSED', 'RESOLVED_MANUALLY', 'NEEDS_ATTENTION']);

/**
 * The secondary merchants of one demo run (`19` and 8 digits from the run's id): the run's trade bill then holds its
 * own orders only, and balances even when `.data/` keeps the orders of earlier runs, whose debits the fresh simulator
 * never booked.
 */
function demoMerchants(run: string, count = 3): string[] {
  const base = parseInt(run, 36) % 90_000_000;
  return Array.from({ length: count }, (_, i) => `19${String((base + i * 1_000_003) % 100_000_000).padStart(8, '0')}`);
}

/** A demo order: 30 s to pay, a 25 s pay window (the demo's pay calls give up after 20 s; production: 75 s). */
function demoInput(no: string, subs: number, merchants: string[]): OrderInput {
  const input = sampleOrderInput(no, {
    subOrders: subs,
    orderCreatedAt: Date.now(),
    paymentTimeout: '30s',
    payWindow: '25s',
    retryPolicy: { wechatpay: { maximumInterval: '5s' }, downstream: { maximumInterval: '5s' } },
  });
  return { ...input, subOrders: input.subOrders.map((s, i) => ({ ...s, subMchid: merchants[i % merchants.length]! })) };
}

/** The batch, one row per case. */
export function demoBatch(run = Date.now().toString(36).toUpperCase()): DemoOrder[] {
  const merchants = demoMerchants(run);
  const row = (suffix: string, subs: number, rest: Omit<DemoOrder, 'input'>, extra: Partial<OrderInput> = {}) => ({
    input: { ...demoInput(`DEMO${run}${suffix}`, subs, merchants), ...extra },
    ...rest,
  });
  const reverseFault = (kind: 'SYSTEM_ERROR' | 'TAMPER' | 'RESET' | 'PARAM_ERROR', peer: WechatpayPeer, no: string) =>
    peer.faults.add({ route: 'reverse', kind, count: 1, orderNo: no });
  return [
    row('PAID1', 2, { label: 'paid in time', pay: 'SUCCESS', then: 'markPaid', expected: 'PAID' }),
    row('PAID2', 3, { label: 'paid in time', pay: 'SUCCESS', then: 'markPaid', expected: 'PAID' }),
    row('HUNG', 2, {
      label: 'debit hung (money moved, never confirmed): the query shows SUCCESS → refund (default)',
      ...{ pay: 'HANG', then: 'nothing', expected: 'REVERSED' },
    }),
    row(
      'ADOPT',
      2,
      {
        label: 'debit hung, onPaidAtDeadline ADOPT: the query shows SUCCESS → PAID, announced downstream',
        ...{ pay: 'HANG', then: 'nothing', expected: 'PAID' },
      },
      { onPaidAtDeadline: 'ADOPT' },
    ),
    row('CLOSED', 2, {
      label: 'already closed at WeChat Pay (merchant portal): the query shows CLOSED → no reverse call, compensate',
      ...{ pay: 'NONE', then: 'nothing', expected: 'REVERSED' },
      setup: (peer, _svc, input) => seedOrder(peer.url, input, 'CLOSED'),
    }),
    row('LATE', 2, {
      label: 'the debit lands after the reverse said "no such order" → reversed again (refund), then compensate',
      ...{ pay: 'NONE', then: 'nothing', expected: 'REVERSED' },
      setup: async (peer, _svc, input) => void (await scheduleLatePay(peer.url, input, 'REVERSE_NOT_FOUND')),
    }),
    row('FAIL', 2, {
      label: 'debit failed, never confirmed → close',
      pay: 'FAIL',
      then: 'nothing',
      expected: 'REVERSED',
    }),
    row('NOPAY', 1, {
      label: 'pay call never sent → no such order',
      pay: 'NONE',
      then: 'nothing',
      expected: 'REVERSED',
    }),
    row('CANCEL', 2, {
      label: 'customer cancelled → reverse once the pay call window has closed',
      ...{ pay: 'HANG', then: 'cancel', expected: 'REVERSED' },
    }),
    row('FAULTS', 3, {
      label: 'WeChat Pay misbehaves (500, tampered signature, reset; order service 503) → recovers',
      ...{ pay: 'HANG', then: 'nothing', expected: 'REVERSED' },
      setup: (peer, orderService, input) => {
        for (const kind of ['SYSTEM_ERROR', 'TAMPER', 'RESET'] as const)
          reverseFault(kind, peer, input.combineOutTradeNo);
        orderService.faults.add({ kind: '503', count: 2, orderNo: input.subOrders[1]!.outTradeNo });
      },
    }),
    row('ATTN', 2, {
      label: 'WeChat Pay rejects the reverse (PARAM_ERROR) → waits for an operator',
      ...{ pay: 'SUCCESS', then: 'nothing', expected: 'NEEDS_ATTENTION' },
      setup: (peer, _svc, input) => void reverseFault('PARAM_ERROR', peer, input.combineOutTradeNo),
    }),
  ];
}

/** Places the batch as a checkout would: start, `beginPayment`, the pay call, then markPaid or cancel. */
export async function placeDemoOrders(
  client: Client,
  sims: Simulators,
  batch: DemoOrder[],
  linkFor: (workflowId: string) => string,
): Promise<void> {
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
  for (const demo of batch) {
    const { input } = demo;
    const no = input.combineOutTradeNo;
    await demo.setup?.(sims.peer, sims.orderService, input);
    await startOrder(client, input, { minPayWindow: SIMULATOR_PAY_WINDOW_FLOOR });
    if (demo.pay !== 'NONE') {
      // The checkout announces each pay call first, and sends it only if the order still takes payment.
      await beginPayment(client, no, { attemptId: `${no}-1` });
      sims.peer.payScript.set(no, demo.pay);
      // The synchronous debit; a HANG outlives its 5 s timeout, so the outcome stays unknown.
      const subOrders = input.subOrders.map((s) => ({
        mchid: s.mchid,
        out_trade_no: s.outTradeNo,
        sub_mchid: s.subMchid,
      }));
      void pay
        .post('v3/ecommerce/combine-papay/transactions', {
          combine_appid: input.combineAppid,
          combine_out_trade_no: no,
          sub_orders: subOrders,
        })
        .then(
          () => (demo.then === 'markPaid' ? markPaid(client, no, { source: 'pay-response' }) : undefined),
          () => undefined,
        );
    }
    if (demo.then === 'cancel') await cancelOrder(client, no, 'customer closed the checkout page');
    console.log(`  ${no}  ${demo.label}\n    ${linkFor(workflowIdFor(no))}`);
  }
}

/** Prints each order's phase changes until all are in a final (or operator) phase; returns the count by phase. */
export async function followDemo(client: Client, batch: DemoOrder[], maxMs = 180_000): Promise<Map<string, number>> {
  const last = new Map<string, string>();
  const started = Date.now();
  while (last.size < batch.length || [...last.values()].some((p) => !TERMINAL.has(p))) {
    for (const { input } of batch) {
      const no = input.combineOutTradeNo;
      const phase = await orderStatus(client, no).then(
        (s) => s.phase,
        () => undefined,
      );
      if (phase && phase !== last.get(no)) {
        last.set(no, phase);
        console.log(`  +${String(Math.round((Date.now() - started) / 1000)).padStart(3)}s  ${no.padEnd(24)} ${phase}`);
      }
    }
    if (Date.now() - started > maxMs) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const byPhase = new Map<string, number>();
  for (const p of last.values()) byPhase.set(p, (byPhase.get(p) ?? 0) + 1);
  return byPhase;
}
