/**
 * The chaos checker (tools/devstack/chaos/invariants.ts): a clean run passes, and for every rule a run with exactly
 * that violation is caught under that rule's letter.
 */
import {
  checkInvariants,
  refusalsLostWithKill,
  type ChaosPlan,
  type CheckedOrder,
  type InvariantInput,
  type LoggedRequest,
} from '../../tools/devstack/chaos/invariants';
import type { CompensationLogEntry, ReceivedOnce } from '../../tools/simulator/order-service';
import { newOrder, type SimOrder, type TradeState } from '../../tools/simulator/wechatpay/orders';
import type { OrderResult, ReverseOutcome, ReverseStatus } from '../../workflows/contract';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
/** The pay window of every order closed at T0; the run's requests come after it. */
const NOT_BEFORE = new Date(T0).toISOString();
const APPID = 'wxd678efh567hg6787';

/** A run being written: a clock, the peer's log and orders, the order service's log and maps. */
class Run {
  private seq = 0;
  private t = T0;
  readonly orders: CheckedOrder[] = [];
  readonly peerLog: LoggedRequest[] = [];
  readonly peerOrders = new Map<string, SimOrder>();
  readonly serviceLog: CompensationLogEntry[] = [];
  readonly compensated = new Map<string, ReceivedOnce>();
  readonly confirmations = new Map<string, ReceivedOnce>();
  readonly killedAt: number[] = [];

  now(): number {
    this.t += 100;
    return this.t;
  }

  pause(ms: number): void {
    this.t += ms;
  }

  order(no: string, plan: ChaosPlan, seen: Partial<CheckedOrder> = {}): CheckedOrder {
    const order: CheckedOrder = {
      input: {
        combineOutTradeNo: no,
        combineAppid: APPID,
        subOrders: ['A', 'B'].map((s) => ({ mchid: '1900009191', outTradeNo: `${no}${s}`, subMchid: `19000010${s}` })),
        payWindow: '2s',
        ...(plan === 'DEBITED_ADOPT' || plan === 'RETRY_AFTER_REVERSE' ? { onPaidAtDeadline: 'ADOPT' as const } : {}),
      },
      plan,
      ...seen,
    };
    this.orders.push(order);
    return order;
  }

  /** The peer holds the order in this state (undefined: it has no such order). */
  atPeer(order: CheckedOrder, state: TradeState | undefined): void {
    const { input } = order;
    if (state === undefined) {
      this.peerOrders.delete(input.combineOutTradeNo);
      return;
    }
    const subOrders = input.subOrders.map((s) => ({
      mchid: s.mchid,
      out_trade_no: s.outTradeNo,
      sub_mchid: s.subMchid,
    }));
    this.peerOrders.set(input.combineOutTradeNo, newOrder({ ...input, subOrders }, state));
  }

  wechat(route: 'query' | 'reverse', no: string, status: number, extra: Partial<LoggedRequest> = {}): LoggedRequest {
    const seq = ++this.seq;
    const at = this.now();
    const entry: LoggedRequest = {
      seq,
      at: new Date(at).toISOString(),
      route,
      method: route === 'query' ? 'GET' : 'POST',
      path: `/v3/ecommerce/combine-papay/transactions/${no}${route === 'reverse' ? '/reverse' : ''}`,
      orderNo: no,
      status,
      answerVerifiable: true,
      answerNonce: `nonce-${seq}`,
      answerTimestamp: Math.floor(at / 1_000),
      ...(status === 404 ? { code: 'ORDER_NOT_EXIST' } : {}),
      ...extra,
    };
    this.peerLog.push(entry);
    return entry;
  }

  /** One compensation request for a sub-order; effective unless said otherwise. */
  compensate(
    order: CheckedOrder,
    sub: string,
    body: Record<string, unknown>,
    extra: Partial<CompensationLogEntry> = {},
  ) {
    const no = order.input.combineOutTradeNo;
    const id = `compensation:${no}:${sub}`;
    const entry = this.serviceEntry('compensate', no, id, { outTradeNo: sub, ...extra });
    if (entry.effective && !this.compensated.has(id)) {
      this.compensated.set(id, {
        at: entry.at,
        type: 'sub_order.compensate',
        timestamp: entry.at,
        data: { combineOutTradeNo: no, outTradeNo: sub, ...body },
        count: 1,
      });
    }
    return entry;
  }

  confirm(order: CheckedOrder, extra: Partial<CompensationLogEntry> = {}): CompensationLogEntry {
    const no = order.input.combineOutTradeNo;
    const id = `confirmation:${no}`;
    const entry = this.serviceEntry('confirm', no, id, extra);
    if (entry.effective) {
      const data = { combineOutTradeNo: no };
      this.confirmations.set(id, { at: entry.at, type: 'order.paid', timestamp: entry.at, data, count: 1 });
    }
    return entry;
  }

  private serviceEntry(
    route: 'compensate' | 'confirm',
    no: string,
    key: string,
    extra: Partial<CompensationLogEntry>,
  ): CompensationLogEntry {
    const entry: CompensationLogEntry = {
      seq: this.serviceLog.length + 1,
      at: new Date(this.now()).toISOString(),
      route,
      webhookId: key,
      idempotencyKey: key,
      combineOutTradeNo: no,
      signatureOk: true,
      status: 200,
      effective: true,
      wire: { headers: {}, body: '' },
      ...extra,
    };
    this.serviceLog.push(entry);
    return entry;
  }

  input(): InvariantInput {
    return {
      orders: this.orders,
      peerLog: this.peerLog,
      peerOrders: this.peerOrders,
      orderServiceLog: this.serviceLog,
      compensated: this.compensated,
      confirmations: this.confirmations,
      killedAt: this.killedAt,
    };
  }
}

function reversedResult(no: string, reverse: Partial<ReverseStatus>): OrderResult {
  return {
    outcome: 'REVERSED',
    combineOutTradeNo: no,
    reverse: { state: 'CONFIRMED', rounds: 1, notBefore: NOT_BEFORE, verified: true, ...reverse },
    subOrders: [],
  };
}

/** Both sub-orders compensated with the confirmed state. */
function compensateAll(run: Run, order: CheckedOrder, tradeState: string, reverseOutcome: ReverseOutcome): void {
  for (const s of order.input.subOrders) run.compensate(order, s.outTradeNo, { tradeState, reverseOutcome });
}

/** An order queried, reversed (204), confirmed and compensated; `accepted` is the accepted reverse answer. */
function reversed(run: Run, no: string, plan: ChaosPlan, from: TradeState, to: TradeState) {
  const order = run.order(no, plan, { payCallSent: true });
  run.atPeer(order, to);
  run.wechat('query', no, 200);
  const accepted = run.wechat('reverse', no, 204, { effect: { from, to } });
  run.wechat('query', no, 200);
  compensateAll(run, order, to, 'REVERSED');
  order.phase = 'REVERSED';
  order.result = reversedResult(no, { outcome: 'REVERSED', httpStatus: 204, answerNonce: accepted.answerNonce! });
  return { order, accepted };
}

/** Debited: the first reverse took effect but its answer was late (DELAY); the retry is a repeat, accepted. */
function debitedLateAnswer(run: Run): void {
  const c2 = run.order('C2', 'DEBITED', { payCallSent: true });
  run.atPeer(c2, 'REFUND');
  run.wechat('query', 'C2', 200, { fault: 'TAMPER', answerVerifiable: false });
  run.wechat('query', 'C2', 200);
  run.wechat('reverse', 'C2', 204, { fault: 'DELAY', effect: { from: 'SUCCESS', to: 'REFUND' } });
  const accepted = run.wechat('reverse', 'C2', 204);
  run.wechat('query', 'C2', 200);
  const body = { tradeState: 'REFUND', reverseOutcome: 'REVERSED' };
  run.compensate(c2, 'C2A', body, { fault: '503', status: 503, effective: false });
  compensateAll(run, c2, 'REFUND', 'REVERSED');
  run.compensate(c2, 'C2B', body, { status: 409, effective: false });
  c2.phase = 'REVERSED';
  c2.result = reversedResult('C2', { outcome: 'REVERSED', httpStatus: 204, answerNonce: accepted.answerNonce! });
}

/** No order at WeChat Pay: "no such order" (signed), confirmed by the query. */
function noOrder(run: Run): void {
  const c3 = run.order('C3', 'NO_ORDER');
  run.wechat('query', 'C3', 404);
  const accepted = run.wechat('reverse', 'C3', 404);
  run.wechat('query', 'C3', 404);
  compensateAll(run, c3, 'NOT_FOUND', 'ORDER_NOT_FOUND');
  c3.phase = 'REVERSED';
  c3.result = reversedResult('C3', {
    outcome: 'ORDER_NOT_FOUND',
    httpStatus: 404,
    code: 'ORDER_NOT_EXIST',
    answerNonce: accepted.answerNonce!,
  });
}

/** The debit lands right after the first "no such order": reversed again, refunded. */
function payLandsLate(run: Run): void {
  const c4 = run.order('C4', 'PAY_LANDS_LATE', { payCallSent: true });
  run.atPeer(c4, 'REFUND');
  run.wechat('query', 'C4', 404);
  run.wechat('reverse', 'C4', 404, { effect: { from: 'NONE', to: 'SUCCESS', latePay: true } });
  run.wechat('query', 'C4', 200);
  const accepted = run.wechat('reverse', 'C4', 204, { effect: { from: 'SUCCESS', to: 'REFUND' } });
  run.wechat('query', 'C4', 200);
  compensateAll(run, c4, 'REFUND', 'REVERSED');
  c4.phase = 'REVERSED';
  c4.result = reversedResult('C4', {
    outcome: 'REVERSED',
    httpStatus: 204,
    answerNonce: accepted.answerNonce!,
    rounds: 2,
  });
}

/** Closed beforehand: nothing to reverse. */
function alreadyClosed(run: Run): void {
  const c5 = run.order('C5', 'ALREADY_CLOSED');
  run.atPeer(c5, 'CLOSED');
  run.wechat('query', 'C5', 200);
  compensateAll(run, c5, 'CLOSED', 'NOT_NEEDED');
  c5.phase = 'REVERSED';
  c5.result = reversedResult('C5', { state: 'NOT_NEEDED', outcome: 'NOT_NEEDED', rounds: 0 });
}

/** Debited and adopted from the query: one confirmation (a faulted attempt, the effective one, a 409). */
function adopted(run: Run): void {
  const c6 = run.order('C6', 'DEBITED_ADOPT', { payCallSent: true, phase: 'PAID' });
  run.atPeer(c6, 'SUCCESS');
  run.wechat('query', 'C6', 200);
  run.confirm(c6, { fault: '500', status: 500, effective: false });
  run.confirm(c6);
  run.confirm(c6, { status: 409, effective: false });
  c6.result = paidResult('C6', 'WECHATPAY_QUERY');
}

/** Confirmed paid by markPaid (nothing at all), and a refused reverse (NEEDS_ATTENTION, nothing compensated). */
function paidAndRefused(run: Run): void {
  const c7 = run.order('C7', 'PAID', { payCallSent: true, markPaidAccepted: true, phase: 'PAID' });
  run.atPeer(c7, 'SUCCESS');
  c7.result = paidResult('C7', 'MARK_PAID');
  const c8 = run.order('C8', 'NEEDS_ATTENTION', { payCallSent: true, phase: 'NEEDS_ATTENTION' });
  run.atPeer(c8, 'PAYING');
  run.wechat('query', 'C8', 200);
  run.wechat('reverse', 'C8', 400, { fault: 'PARAM_ERROR', code: 'PARAM_ERROR' });
}

/** A refusal whose answer died with a SIGKILLed worker (killed 0.5 s after it): retried, accepted, REVERSED. */
function refusalLostWithKill(run: Run): void {
  run.pause(10_000);
  const c9 = run.order('C9', 'NEEDS_ATTENTION', { payCallSent: true });
  run.atPeer(c9, 'CLOSED');
  run.wechat('query', 'C9', 200);
  const refusal = run.wechat('reverse', 'C9', 400, { fault: 'PARAM_ERROR', code: 'PARAM_ERROR' });
  run.killedAt.push(Date.parse(refusal.at) + 500);
  const accepted = run.wechat('reverse', 'C9', 204, { effect: { from: 'PAYING', to: 'CLOSED' } });
  run.wechat('query', 'C9', 200);
  compensateAll(run, c9, 'CLOSED', 'REVERSED');
  c9.phase = 'REVERSED';
  c9.result = reversedResult('C9', {
    outcome: 'REVERSED',
    httpStatus: 204,
    answerNonce: accepted.answerNonce!,
    rounds: 2,
  });
}

/** A debit nobody announced lands just after the deadline, before the window closes: refunded, then compensated. */
function lateUnannounced(run: Run): void {
  const landedAt = run.now();
  const { order } = reversed(run, 'C20', 'LATE_PAY_UNANNOUNCED', 'SUCCESS', 'REFUND');
  order.landedAt = landedAt;
  const earlyLanded = run.now();
  reversed(run, 'C24', 'EARLY_ANNOUNCED', 'SUCCESS', 'REFUND').order.landedAt = earlyLanded;
}

/** A paid order started again once its run ended PAID: the second run stopped (EARLIER_RUN_ENDED) and was resolved. */
function duplicateStart(run: Run): void {
  const c25 = run.order('C25', 'DUPLICATE_START', { payCallSent: true, markPaidAccepted: true, phase: 'PAID' });
  run.atPeer(c25, 'SUCCESS');
  c25.result = paidResult('C25', 'MARK_PAID');
  c25.duplicate = { firstRunId: 'run-1', attention: 'EARLIER_RUN_ENDED', phase: 'RESOLVED_MANUALLY' };
}

/** The order's own earlier query answer is replayed to it (REPLAY_LAST): refused; a fresh answer settles it. */
function replayed(run: Run): void {
  const c21 = run.order('C21', 'REPLAYED', { payCallSent: true });
  run.atPeer(c21, 'CLOSED');
  const first = run.wechat('query', 'C21', 200);
  const accepted = run.wechat('reverse', 'C21', 204, { effect: { from: 'PAYING', to: 'CLOSED' } });
  run.wechat('query', 'C21', 200, { fault: 'REPLAY_LAST', answerNonce: first.answerNonce! });
  const confirming = run.wechat('query', 'C21', 200);
  compensateAll(run, c21, 'CLOSED', 'REVERSED');
  c21.phase = 'REVERSED';
  c21.result = reversedResult('C21', {
    outcome: 'REVERSED',
    httpStatus: 204,
    answerNonce: accepted.answerNonce!,
    queries: [first, confirming].map((q, i) => ({
      at: q.at,
      purpose: i === 0 ? 'RECONCILE' : 'CONFIRM',
      host: 'main',
      seen: 'all 2 CLOSED',
      answerNonce: q.answerNonce!,
    })),
  });
}

/** ADOPT; the first reverse is refused; the debit lands and an operator retries: refunded, never adopted. */
function retryAfterReverse(run: Run): void {
  const c22 = run.order('C22', 'RETRY_AFTER_REVERSE', { payCallSent: true });
  run.atPeer(c22, 'REFUND');
  run.wechat('query', 'C22', 200);
  run.wechat('reverse', 'C22', 400, { fault: 'PARAM_ERROR', code: 'PARAM_ERROR' });
  run.wechat('query', 'C22', 200);
  c22.landedAt = run.now();
  c22.retriedAt = run.now();
  run.wechat('query', 'C22', 200);
  const accepted = run.wechat('reverse', 'C22', 204, { effect: { from: 'SUCCESS', to: 'REFUND' } });
  run.wechat('query', 'C22', 200);
  compensateAll(run, c22, 'REFUND', 'REVERSED');
  c22.phase = 'REVERSED';
  c22.result = reversedResult('C22', {
    outcome: 'REVERSED',
    httpStatus: 204,
    answerNonce: accepted.answerNonce!,
    rounds: 2,
  });
}

function paidResult(no: string, source: 'MARK_PAID' | 'WECHATPAY_QUERY'): OrderResult {
  return { outcome: 'PAID', combineOutTradeNo: no, paid: { at: NOT_BEFORE, source }, subOrders: [] };
}

/** A clean run: one order of every plan, with retries, faults and duplicates a correct product handles. */
function cleanRun(): Run {
  const run = new Run();
  reversed(run, 'C1', 'UNPAID', 'PAYING', 'CLOSED');
  for (const write of [debitedLateAnswer, noOrder, payLandsLate, alreadyClosed, adopted, paidAndRefused]) write(run);
  for (const write of [lateUnannounced, replayed, retryAfterReverse, duplicateStart]) write(run);
  refusalLostWithKill(run);
  return run;
}

/** The violations of a run, and whether every one is under `rule` and names `order`. */
function caught(run: Run, rule: string, order: string): string[] {
  const violations = checkInvariants(run.input());
  expect(violations.length).toBeGreaterThan(0);
  for (const v of violations) {
    expect(v).toContain(` rule ${rule} (`);
    expect(v.startsWith(`${order} `)).toBe(true);
  }
  return violations;
}

const find = (run: Run, no: string): CheckedOrder => run.orders.find((o) => o.input.combineOutTradeNo === no)!;
const entries = (run: Run, no: string, route: 'query' | 'reverse') =>
  run.peerLog.filter((e) => e.orderNo === no && e.route === route);

describe('checkInvariants: clean runs', () => {
  it('passes a clean run with every plan, retries, faults and duplicates', () => {
    const run = cleanRun();
    expect(checkInvariants(run.input())).toEqual([]);
    expect(refusalsLostWithKill(run.input())).toEqual(['C9']);
  });

  it('passes results recorded without answerNonce when a clean, verifiable answer had the accepted status', () => {
    const run = cleanRun();
    for (const o of run.orders) if (o.result?.reverse) delete o.result.reverse.answerNonce;
    for (const e of run.peerLog) delete e.answerNonce;
    expect(checkInvariants(run.input())).toEqual([]);
  });

  it('passes results with answerNonce against a peer log without nonces (a peer from before they were logged)', () => {
    const run = cleanRun();
    for (const e of run.peerLog) delete e.answerNonce;
    expect(checkInvariants(run.input())).toEqual([]);
  });
});

describe('a: every order settled as its plan allows', () => {
  it('catches an order that did not settle', () => {
    const run = cleanRun();
    delete find(run, 'C8').phase;
    expect(caught(run, 'a', 'C8')).toEqual([expect.stringContaining('did not settle')]);
  });
  it('catches NEEDS_ATTENTION for a plan not meant for it', () => {
    const run = cleanRun();
    const o = run.order('C10', 'UNPAID', { payCallSent: true, phase: 'NEEDS_ATTENTION' });
    run.atPeer(o, 'PAYING');
    run.wechat('query', 'C10', 200);
    run.wechat('reverse', 'C10', 503, { fault: 'SERVICE_UNAVAILABLE' });
    expect(caught(run, 'a', 'C10')).toEqual([expect.stringContaining('ended NEEDS_ATTENTION, expected REVERSED')]);
  });
  it('catches a refused order that ended REVERSED with no worker kill near the refusal', () => {
    const run = cleanRun();
    run.killedAt.length = 0;
    expect(caught(run, 'a', 'C9')).toEqual([expect.stringContaining('ended REVERSED, expected NEEDS_ATTENTION')]);
  });
  it('expects REVERSED, not NEEDS_ATTENTION, from a refused order whose pay call was never sent', () => {
    const run = cleanRun();
    run.killedAt.length = 0;
    find(run, 'C9').payCallSent = false;
    expect(checkInvariants(run.input())).toEqual([]);
    const c8 = find(run, 'C8');
    c8.payCallSent = false;
    expect(caught(run, 'a', 'C8')).toEqual([expect.stringContaining('ended NEEDS_ATTENTION, expected REVERSED')]);
  });
  it('catches an adopt order paid at WeChat Pay that did not end PAID', () => {
    const run = cleanRun();
    const o = run.order('C10', 'DEBITED_ADOPT', { payCallSent: true, phase: 'FAILED' });
    run.atPeer(o, 'SUCCESS');
    caught(run, 'a', 'C10');
  });
});

describe('b: no compensation without a clean query after the last reverse and the pay window', () => {
  it('catches a compensation with no query after the reverse', () => {
    const run = cleanRun();
    const confirming = entries(run, 'C1', 'query')[1]!;
    run.peerLog.splice(run.peerLog.indexOf(confirming), 1);
    caught(run, 'b', 'C1');
  });
  it('catches a compensation whose only later query was tampered with', () => {
    const run = cleanRun();
    Object.assign(entries(run, 'C1', 'query')[1]!, { fault: 'TAMPER', answerVerifiable: false });
    caught(run, 'b', 'C1');
  });
  it('catches a compensation whose only later query answered a retryable error', () => {
    const run = cleanRun();
    Object.assign(entries(run, 'C3', 'query')[1]!, { status: 500, code: 'SYSTEM_ERROR', fault: 'SYSTEM_ERROR' });
    caught(run, 'b', 'C3');
  });
  it('catches a compensation decided on a query made before the pay window closed', () => {
    const run = cleanRun();
    const c5 = find(run, 'C5');
    c5.result!.reverse!.notBefore = new Date(Date.parse(run.serviceLog.at(-1)!.at) + 1).toISOString();
    caught(run, 'b', 'C5');
  });
});

describe('c: the compensated state is WeChat Pay state', () => {
  it('catches a refunded sub-order compensated as CLOSED', () => {
    const run = cleanRun();
    run.compensated.get('compensation:C2:C2A')!.data.tradeState = 'CLOSED';
    expect(caught(run, 'c', 'C2')).toEqual([
      expect.stringContaining('C2A compensated as CLOSED, WeChat Pay has REFUND'),
    ]);
  });
  it('catches NOT_FOUND for an order WeChat Pay has', () => {
    const run = cleanRun();
    run.atPeer(find(run, 'C3'), 'CLOSED');
    expect(caught(run, 'c', 'C3')).toHaveLength(2);
  });
  it('catches a REVERSED order left unsettled at WeChat Pay', () => {
    const run = cleanRun();
    run.peerOrders.get('C1')!.subStates = { C1B: 'NOTPAY' };
    const v = caught(run, 'c', 'C1');
    expect(v).toContainEqual(expect.stringContaining('C1B left NOTPAY at WeChat Pay'));
  });
  it('catches a compensation whose reverseOutcome is not the result', () => {
    const run = cleanRun();
    run.compensated.get('compensation:C4:C4B')!.data.reverseOutcome = 'ORDER_NOT_FOUND';
    caught(run, 'c', 'C4');
  });
});

describe('d: no reverse when nothing was to be reversed', () => {
  it('catches a reverse of an order the query showed closed', () => {
    const run = cleanRun();
    run.wechat('reverse', 'C5', 204);
    caught(run, 'd', 'C5');
  });
  it('catches an order closed beforehand whose result is not NOT_NEEDED', () => {
    const run = cleanRun();
    find(run, 'C5').result!.reverse!.outcome = 'ALREADY_CLOSED';
    run.compensated.forEach((v, k) => {
      if (k.startsWith('compensation:C5:')) v.data.reverseOutcome = 'ALREADY_CLOSED';
    });
    caught(run, 'd', 'C5');
  });
});

describe('e: an adopted order is announced once, never reversed nor compensated', () => {
  it('catches a second effective confirmation', () => {
    const run = cleanRun();
    run.confirm(find(run, 'C6'));
    expect(caught(run, 'e', 'C6')).toEqual([expect.stringContaining('payment confirmed 2 times')]);
  });
  it('catches a confirmation under another key', () => {
    const run = cleanRun();
    run.confirm(find(run, 'C6'), { idempotencyKey: 'C6', effective: false, status: 400 });
    caught(run, 'e', 'C6');
  });
  it('catches an adopted order that was reversed', () => {
    const run = cleanRun();
    run.wechat('reverse', 'C6', 500, { fault: 'SYSTEM_ERROR' });
    caught(run, 'e', 'C6');
  });
  it('catches an adopted order that was compensated', () => {
    const run = cleanRun();
    run.compensate(find(run, 'C6'), 'C6A', { tradeState: 'CLOSED' }, { status: 500, fault: '500', effective: false });
    expect(checkInvariants(run.input())).toContainEqual(expect.stringMatching(/^C6 .* rule e .*compensation/));
  });
  it('catches a confirmation for an order that was not adopted', () => {
    const run = cleanRun();
    run.confirm(find(run, 'C2'));
    caught(run, 'e', 'C2');
  });
});

describe('f: markPaid wins; PAID only through markPaid or ADOPT', () => {
  it('catches an order confirmed paid that was reversed', () => {
    const run = cleanRun();
    run.wechat('reverse', 'C7', 503, { fault: 'SERVICE_UNAVAILABLE' });
    expect(caught(run, 'f', 'C7')).toEqual([expect.stringContaining('markPaid accepted, yet 1 reverses')]);
  });
  it('catches PAID without an accepted markPaid or an adoption', () => {
    const run = cleanRun();
    const o = run.order('C10', 'DEBITED_ADOPT', { payCallSent: true, phase: 'PAID' });
    o.result = {
      outcome: 'PAID',
      combineOutTradeNo: 'C10',
      paid: { at: NOT_BEFORE, source: 'MARK_PAID' },
      subOrders: [],
    };
    run.atPeer(o, 'SUCCESS');
    expect(caught(run, 'f', 'C10')).toEqual([expect.stringContaining('PAID without markPaid or ADOPT')]);
  });
});

describe('g: each sub-order of a REVERSED order compensated exactly once, under its key, signed', () => {
  it('catches a sub-order compensated twice', () => {
    const run = cleanRun();
    run.compensate(find(run, 'C1'), 'C1A', { tradeState: 'CLOSED', reverseOutcome: 'REVERSED' });
    expect(caught(run, 'g', 'C1')).toEqual([expect.stringContaining('C1A compensated 2 times')]);
  });
  it('catches a sub-order never compensated', () => {
    const run = cleanRun();
    const i = run.serviceLog.findIndex((e) => e.outTradeNo === 'C4B');
    run.serviceLog.splice(i, 1);
    run.compensated.delete('compensation:C4:C4B');
    expect(caught(run, 'g', 'C4')).toEqual([expect.stringContaining('C4B compensated 0 times')]);
  });
  it('catches a compensation under another Idempotency-Key', () => {
    const run = cleanRun();
    run.compensate(find(run, 'C2'), 'C2A', {}, { idempotencyKey: 'C2A', status: 400, effective: false });
    caught(run, 'g', 'C2');
  });
  it('catches a compensation without a valid HMAC', () => {
    const run = cleanRun();
    run.serviceLog.find((e) => e.outTradeNo === 'C3A')!.signatureOk = 'unsigned';
    caught(run, 'g', 'C3');
  });
  it('catches a compensation for an order that did not end REVERSED', () => {
    const run = cleanRun();
    // After the refusal, a clean query: the compensation breaks rule g only.
    run.wechat('query', 'C8', 200);
    run.compensate(find(run, 'C8'), 'C8A', { tradeState: 'CLOSED' }, { status: 500, fault: '500', effective: false });
    caught(run, 'g', 'C8');
  });
});

describe('h: the accepted reverse answer is the one that was signed', () => {
  it('catches an accepted answer whose nonce is a tampered answer', () => {
    const run = cleanRun();
    const tampered = run.wechat('reverse', 'C1', 204, { fault: 'TAMPER', answerVerifiable: false });
    find(run, 'C1').result!.reverse!.answerNonce = tampered.answerNonce!;
    expect(caught(run, 'h', 'C1')).toEqual([expect.stringContaining('with fault TAMPER')]);
  });
  it('catches an accepted answer that was delayed past the effect (AFTER_EFFECT)', () => {
    const run = cleanRun();
    const delayed = entries(run, 'C2', 'reverse')[0]!;
    find(run, 'C2').result!.reverse!.answerNonce = delayed.answerNonce!;
    caught(run, 'h', 'C2');
  });
  it('catches an accepted answer with a nonce the peer never signed', () => {
    const run = cleanRun();
    find(run, 'C4').result!.reverse!.answerNonce = 'forged-nonce';
    expect(caught(run, 'h', 'C4')).toEqual([expect.stringContaining('which no answer carried')]);
  });
  it('catches a signed generic NOT_FOUND accepted as "no such order"', () => {
    const run = cleanRun();
    const accepted = entries(run, 'C3', 'reverse')[0]!;
    Object.assign(accepted, { fault: 'GENERIC_NOT_FOUND', code: 'NOT_FOUND' });
    find(run, 'C3').result!.reverse!.code = 'NOT_FOUND';
    caught(run, 'h', 'C3');
  });
  it('without answerNonce (old data): catches a status no clean, verifiable answer carried', () => {
    const run = cleanRun();
    delete find(run, 'C2').result!.reverse!.answerNonce;
    entries(run, 'C2', 'reverse')[1]!.fault = 'NO_SIGNATURE';
    entries(run, 'C2', 'reverse')[1]!.answerVerifiable = false;
    expect(caught(run, 'h', 'C2')).toEqual([expect.stringContaining('no clean, verifiable answer carried')]);
  });
  it('against a peer log without nonces: catches a status no clean, verifiable answer carried', () => {
    const run = cleanRun();
    for (const e of run.peerLog) delete e.answerNonce;
    Object.assign(entries(run, 'C3', 'reverse')[0]!, { fault: 'UNSIGNED_NOT_EXIST', answerVerifiable: false });
    expect(caught(run, 'h', 'C3')).toEqual([expect.stringContaining('no clean, verifiable answer carried')]);
  });
});

describe('i: no request to WeChat Pay badly signed', () => {
  it('catches a badly signed request', () => {
    const run = cleanRun();
    run.wechat('query', 'C7', 401, { authProblem: 'signature does not verify', answerVerifiable: false });
    expect(caught(run, 'i', 'C7')).toEqual([expect.stringContaining('signature does not verify')]);
  });
});

describe('j: the reverse takes effect at most once', () => {
  it('catches a reverse that took effect twice', () => {
    const run = cleanRun();
    run.wechat('reverse', 'C4', 204, { effect: { from: 'SUCCESS', to: 'REFUND' } });
    expect(caught(run, 'j', 'C4')).toEqual([expect.stringContaining('took effect 2 times')]);
  });
});

describe('k: no compensation before the last pay landed', () => {
  it('catches a compensation sent before an unannounced debit landed', () => {
    const run = cleanRun();
    find(run, 'C20').landedAt = run.now();
    expect(caught(run, 'k', 'C20')).toEqual([expect.stringContaining('before the debit landed')]);
  });

  it('catches a compensation before a late pay the peer logged', () => {
    const run = cleanRun();
    run.wechat('query', 'C3', 404, { effect: { from: 'NONE', to: 'SUCCESS', latePay: true } });
    const violations = checkInvariants(run.input());
    expect(violations).toContainEqual(expect.stringMatching(/^C3 \(NO_ORDER\) rule k .*before the debit landed/));
  });
});

describe('m: no answer older than its request accepted', () => {
  it('catches a query answer signed a minute before its request (captured, never delivered), accepted', () => {
    const run = cleanRun();
    const stale = run.wechat('query', 'C1', 404, { fault: 'STALE_ANSWER_DATED' });
    stale.answerTimestamp! -= 60;
    find(run, 'C1').result!.reverse!.queries = [
      { at: stale.at, purpose: 'CONFIRM', host: 'main', seen: 'not found', answerNonce: stale.answerNonce! },
    ];
    expect(caught(run, 'm', 'C1')).toEqual([
      expect.stringContaining(`accepted a query answer (nonce ${stale.answerNonce!}, seq ${stale.seq}) signed 60 s`),
    ]);
  });

  it("reads the timestamp by the peer's clock, and passes a replay whose original was fresh (rules h and l's)", () => {
    const run = cleanRun();
    for (const e of run.peerLog) {
      e.clockOffsetMs = -90_000;
      e.answerTimestamp! -= 90;
    }
    expect(checkInvariants(run.input())).toEqual([]);
    const original = entries(run, 'C1', 'query')[0]!;
    run.pause(60_000);
    const replay = run.wechat('query', 'C1', 200, { fault: 'REPLAY_LAST', answerNonce: original.answerNonce! });
    replay.answerTimestamp = original.answerTimestamp!;
    find(run, 'C1').result!.reverse!.queries = [
      { at: replay.at, purpose: 'CONFIRM', host: 'main', seen: 'all 2 CLOSED', answerNonce: original.answerNonce! },
    ];
    expect(checkInvariants(run.input())).toEqual([]);
    // Without the fresh original, the copy is all there is: signed minutes before its request.
    delete original.answerNonce;
    expect(caught(run, 'm', 'C1')).toEqual([expect.stringMatching(/seq \d+\) signed 1\d\d s before its request$/)]);
  });
});

describe('l: no accepted nonce accepted twice', () => {
  it('catches one signed answer accepted by two orders', () => {
    const run = cleanRun();
    const replayedNonce = find(run, 'C21').result!.reverse!.queries![0]!.answerNonce!;
    find(run, 'C5').result!.reverse!.queries = [
      { at: NOT_BEFORE, purpose: 'RECONCILE', host: 'main', seen: 'all 2 CLOSED', answerNonce: replayedNonce },
    ];
    expect(caught(run, 'l', 'C21')).toEqual([
      expect.stringContaining(`answer nonce ${replayedNonce} accepted 2 times (by C5, C21)`),
    ]);
  });

  it('catches one signed answer accepted twice by the same order', () => {
    const run = cleanRun();
    const queries = find(run, 'C21').result!.reverse!.queries!;
    queries[1]!.answerNonce = queries[0]!.answerNonce!;
    expect(caught(run, 'l', 'C21')).toEqual([expect.stringContaining('accepted 2 times (by C21, C21)')]);
  });
});

describe('n: no order reversed after an earlier run ended it paid', () => {
  it('catches a duplicate run of a paid order that reversed and compensated it', () => {
    const run = cleanRun();
    const o = find(run, 'C25');
    o.duplicate = { firstRunId: 'run-1', phase: 'REVERSED' };
    run.wechat('query', 'C25', 200);
    expect(caught(run, 'n', 'C25').join('\n')).toMatch(/stopped with nothing[\s\S]*ended REVERSED/);
  });
  it('catches a paid order whose duplicate start was never made', () => {
    const run = cleanRun();
    delete find(run, 'C25').duplicate;
    expect(caught(run, 'n', 'C25')).toEqual([expect.stringContaining('the duplicate start was never made')]);
  });
});
