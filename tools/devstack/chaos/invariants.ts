/**
 * The chaos run's invariants as one pure function (no I/O, no clock): what the client saw of each order, the WeChat Pay
 * peer's request log and final orders, and the order service's log and effective requests go in; violations, each
 * naming the order and the rule, come out. `tools/scripts/chaos.ts` feeds it a real run; `test/unit/invariants.test.ts`
 * feeds it a log with exactly one violation per rule.
 */
import { type PeerLogEntry } from '../../simulator/wechatpay/log';
import { AFTER_EFFECT } from '../../simulator/wechatpay/fault-table';
import {
  compensationWebhookId,
  confirmationWebhookId,
  type OrderInput,
  type OrderResult,
} from '../../../workflows/contract';
import type { CompensationLogEntry, ReceivedOnce } from '../../simulator/order-service';
import { FINAL_STATES, subStateOf, type SimOrder } from '../../simulator/wechatpay/orders';

/**
 * What the chaos run does with an order: `PAID` (debited, then markPaid), `UNPAID` (pay call, outcome unknown),
 * `DEBITED` (debited, never confirmed → refunded), `DEBITED_ADOPT` (debited, `onPaidAtDeadline: ADOPT` → PAID from
 * the query), `ALREADY_CLOSED` (closed at WeChat Pay → no reverse), `NO_ORDER` (no pay call), `PAY_LANDS_LATE` (the
 * debit lands right after the first "no such order" reverse answer → refunded), `NEEDS_ATTENTION` (PARAM_ERROR on
 * the reverse), `LATE_PAY_UNANNOUNCED` (the checkout never announces its pay call, whose debit lands just after the
 * deadline, inside the pay window → refunded, compensated after it landed), `REPLAYED` (the order's own earlier signed
 * answers are replayed to it → refused; settled on fresh answers), `RETRY_AFTER_REVERSE` (`ADOPT`; the first reverse
 * is refused → NEEDS_ATTENTION; then the debit lands and an operator retries → refunded, never adopted),
 * `EARLY_ANNOUNCED` (the checkout announces at page open, long before the deadline, and its pay call's debit lands
 * unannounced just after the deadline → the window waits from the deadline; refunded, compensated after it landed),
 * `DUPLICATE_START` (paid and confirmed; once the run ended PAID, a raw start of the same workflow id with a near
 * deadline → the new run moves no money: NEEDS_ATTENTION `EARLIER_RUN_ENDED`, resolved by the operator).
 */
export const CHAOS_PLANS = [
  'PAID',
  'UNPAID',
  'DEBITED',
  'DEBITED_ADOPT',
  'ALREADY_CLOSED',
  'NO_ORDER',
  'PAY_LANDS_LATE',
  'NEEDS_ATTENTION',
  'LATE_PAY_UNANNOUNCED',
  'REPLAYED',
  'RETRY_AFTER_REVERSE',
  'EARLY_ANNOUNCED',
  'DUPLICATE_START',
] as const;
/** One of {@link CHAOS_PLANS}. */
export type ChaosPlan = (typeof CHAOS_PLANS)[number];

/** The rules, by letter (the letter and name appear in every violation). */
const RULES = {
  a: 'settled as planned',
  b: 'compensation only after a clean query',
  c: 'compensated state is WeChat Pay state',
  d: 'no reverse when nothing to reverse',
  e: 'adopted orders, never after a reverse',
  f: 'markPaid wins',
  g: 'compensated exactly once',
  h: 'accepted answer was signed',
  i: 'requests well signed',
  j: 'reverse takes effect once',
  k: 'no compensation before the last pay landed',
  l: 'no accepted nonce accepted twice',
  m: 'no answer older than its request accepted',
  n: 'no order reversed after an earlier run ended it paid',
} as const;
/** One of the keys of {@link RULES}. */
type RuleId = keyof typeof RULES;

/**
 * What the seed decided for one order's checkout and operator before anything ran (the chaos run's and the cluster
 * test's plan): when the pay call is announced, when `markPaid` follows the pay call, what the operator does if the
 * order stops in NEEDS_ATTENTION.
 */
export interface CheckoutScript {
  /** ms after the start before the checkout announces its pay call (plans with an announced pay call). */
  announceAfterMs: number;
  /** ms after the pay call before `markPaid` (PAID, DUPLICATE_START). */
  markPaidAfterMs: number;
  /**
   * The operator, when the order waits in NEEDS_ATTENTION: `land-and-retry` (the debit lands at WeChat Pay, then
   * `retry`, once), `retry` (once), `resolve-duplicate` (a DUPLICATE_START's second run, resolved as the duplicate it
   * is); absent: the operator leaves it there.
   */
  operator?: 'land-and-retry' | 'retry' | 'resolve-duplicate';
}

/** One order as the chaos client saw it. */
export interface CheckedOrder {
  input: OrderInput;
  plan: ChaosPlan;
  /** The checkout's and the operator's scripted behaviour (absent: pay at once, no operator). */
  script?: CheckoutScript;
  /** beginPayment was accepted and the (simulated) pay call sent; undefined for plans without a pay call. */
  payCallSent?: boolean;
  /** markPaid was accepted (true) or refused (false); undefined when not called. */
  markPaidAccepted?: boolean;
  /** When the simulated checkout's debit landed at WeChat Pay (epoch ms), for a debit that lands after a start. */
  landedAt?: number;
  /** When the run's operator sent `retry` to the order (epoch ms). */
  retriedAt?: number;
  /** The final phase (the result's outcome, NEEDS_ATTENTION, or the run status); undefined: not settled. */
  phase?: string;
  /** The workflow's result, when it completed (for a DUPLICATE_START order, its first run's). */
  result?: OrderResult;
  /**
   * A DUPLICATE_START order's second, raw start once its first run ended: that run's id, how it stopped (the attention
   * failure type), and how it ended.
   */
  duplicate?: { firstRunId: string; attention?: string; phase?: string };
  /** A client call that failed in an unexpected way. */
  error?: string;
}

/** A peer log entry, with the nonce the peer signed its answer with (when the peer records it). */
export type LoggedRequest = PeerLogEntry & { answerNonce?: string };

/** Everything the checker reads. */
export interface InvariantInput {
  orders: readonly CheckedOrder[];
  /** The WeChat Pay peer's request log. */
  peerLog: readonly LoggedRequest[];
  /** The peer's final orders, by combine_out_trade_no. */
  peerOrders: ReadonlyMap<string, SimOrder>;
  /** The order service's request log (routes 'compensate' and 'confirm'). */
  orderServiceLog: readonly CompensationLogEntry[];
  /** Effective compensations by webhook-id (`compensation:<combineOutTradeNo>:<outTradeNo>`). */
  compensated: ReadonlyMap<string, ReceivedOnce>;
  /** Effective payment confirmations by webhook-id (`confirmation:<combineOutTradeNo>`). */
  confirmations: ReadonlyMap<string, ReceivedOnce>;
  /** When worker processes were SIGKILLed (epoch ms). */
  killedAt: readonly number[];
}

/** What the rules read about one order. */
interface OrderFacts {
  order: CheckedOrder;
  no: string;
  reverses: LoggedRequest[];
  queries: LoggedRequest[];
  compensations: CompensationLogEntry[];
  confirms: CompensationLogEntry[];
  final: SimOrder | undefined;
  refusalLost: boolean;
  /** The peer records the nonce it signs each answer with (a peer from before that records none). */
  peerNonces: boolean;
  /** The peer's log entries by the nonce their answer carried (a replayed answer's nonce has several). */
  answersByNonce: ReadonlyMap<string, LoggedRequest[]>;
  all: InvariantInput;
}

/** The answer each accepted reverse outcome must come from. */
const OUTCOME_ANSWER: Readonly<Record<string, { status: number; code?: string }>> = {
  REVERSED: { status: 204 },
  ALREADY_CLOSED: { status: 400, code: 'ORDER_CLOSED' },
  ORDER_NOT_FOUND: { status: 404, code: 'ORDER_NOT_EXIST' },
};
const time = (at: string): number => Date.parse(at);

/** Every violation of every rule, each `<order> (<plan>) rule <x> (<name>): <what>`. */
export function checkInvariants(input: InvariantInput): string[] {
  const out: string[] = [];
  for (const facts of factsByOrder(input)) {
    for (const [id, rule] of ORDER_RULES) {
      for (const what of rule(facts)) {
        out.push(`${facts.no} (${facts.order.plan}) rule ${id} (${RULES[id]}): ${what}`);
      }
    }
  }
  out.push(...nonceAcceptedTwice(input.orders));
  for (const e of input.peerLog) {
    if (!e.authProblem) continue;
    const who = e.orderNo ?? `request ${e.seq}`;
    out.push(`${who} rule i (${RULES.i}): ${e.route} request ${e.seq} was badly signed: ${e.authProblem}`);
  }
  return out;
}

/** The NEEDS_ATTENTION orders whose refusal came within 3 s of a worker kill (allowed to end REVERSED). */
export function refusalsLostWithKill(input: InvariantInput): string[] {
  return factsByOrder(input).flatMap((f) => (f.refusalLost ? [f.no] : []));
}

function factsByOrder(all: InvariantInput): OrderFacts[] {
  const peer = groupBy(all.peerLog, (e) => e.orderNo);
  const downstream = groupBy(all.orderServiceLog, (e) => e.combineOutTradeNo);
  const peerNonces = all.peerLog.some((e) => e.answerNonce !== undefined);
  const answersByNonce = groupBy(all.peerLog, (e) => e.answerNonce);
  return all.orders.map((order) => {
    const no = order.input.combineOutTradeNo;
    const mine = peer.get(no) ?? [];
    const service = downstream.get(no) ?? [];
    const reverses = mine.filter((e) => e.route === 'reverse');
    const refusal = reverses.find((e) => e.fault === 'PARAM_ERROR');
    const at = refusal ? time(refusal.at) : NaN;
    const refusalLost = order.plan === 'NEEDS_ATTENTION' && all.killedAt.some((k) => k >= at - 100 && k <= at + 3_000);
    return {
      order,
      no,
      reverses,
      queries: mine.filter((e) => e.route === 'query'),
      compensations: service.filter((e) => e.route === 'compensate'),
      confirms: service.filter((e) => e.route === 'confirm'),
      final: all.peerOrders.get(no),
      refusalLost,
      peerNonces,
      answersByNonce,
      all,
    };
  });
}

function groupBy<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

/** The end phases a plan allows, given what the client saw. */
function allowedEnds(f: OrderFacts): string[] {
  const { order } = f;
  switch (order.plan) {
    case 'PAID':
    case 'DUPLICATE_START':
      return order.markPaidAccepted ? ['PAID'] : ['REVERSED'];
    case 'DEBITED_ADOPT':
      return order.payCallSent ? ['PAID'] : ['REVERSED'];
    case 'RETRY_AFTER_REVERSE':
      return ['REVERSED'];
    case 'NEEDS_ATTENTION':
      // Without a pay call (its announcement came after the deadline under load) the order is absent at WeChat Pay:
      // the query after the refused reverse settles it (never found, no 204 accepted), so it ends REVERSED.
      if (order.payCallSent === false) return ['REVERSED'];
      return f.refusalLost ? ['NEEDS_ATTENTION', 'REVERSED'] : ['NEEDS_ATTENTION'];
    default:
      return ['REVERSED'];
  }
}

/** a: every order settled, in a phase its plan allows; no unexpected client error. */
function settled(f: OrderFacts): string[] {
  const out: string[] = [];
  const allowed = allowedEnds(f);
  if (!f.order.phase) out.push('did not settle');
  else if (!allowed.includes(f.order.phase)) out.push(`ended ${f.order.phase}, expected ${allowed.join(' or ')}`);
  if (f.order.error) out.push(f.order.error);
  return out;
}

/** A query answer a careful client may act on: signed and verifiable, no fault, 200 or 404. */
function cleanQuery(e: LoggedRequest): boolean {
  return e.route === 'query' && e.answerVerifiable && e.fault === undefined && (e.status === 200 || e.status === 404);
}

/** b: each compensation request came after a clean query that followed the last reverse and the pay window. */
function compensatedAfterQuery(f: OrderFacts): string[] {
  const notBeforeIso = f.order.result?.reverse?.notBefore;
  const notBefore = notBeforeIso ? time(notBeforeIso) : -Infinity;
  const bad = f.compensations.filter((c) => {
    const at = time(c.at);
    const lastReverse = f.reverses.filter((r) => time(r.at) <= at).pop();
    return !f.queries.some(
      (q) => cleanQuery(q) && q.seq > (lastReverse?.seq ?? 0) && time(q.at) >= notBefore && time(q.at) <= at,
    );
  });
  if (bad.length === 0) return [];
  return [
    `${bad.length} compensation request(s), first at ${bad[0]!.at}, without a signed clean query after the last ` +
      `reverse request${notBeforeIso ? ` and after the pay window (${notBeforeIso})` : ''}`,
  ];
}

/** c: each compensated tradeState is the peer's final state of that sub-order; a REVERSED order is final or absent. */
function compensatedState(f: OrderFacts): string[] {
  const out: string[] = [];
  const { final, no } = f;
  for (const sub of f.order.input.subOrders) {
    const state = final ? subStateOf(final, sub.outTradeNo) : undefined;
    if (f.order.phase === 'REVERSED' && state !== undefined && !FINAL_STATES.has(state)) {
      out.push(`${sub.outTradeNo} left ${state} at WeChat Pay`);
    }
    const peerState = state ?? 'NOT_FOUND';
    const body = f.all.compensated.get(
      compensationWebhookId({ combineOutTradeNo: no, outTradeNo: sub.outTradeNo }),
    )?.data;
    if (!body) continue;
    if (body.tradeState !== peerState) {
      out.push(`${sub.outTradeNo} compensated as ${String(body.tradeState)}, WeChat Pay has ${peerState}`);
    }
    const outcome = f.order.result?.reverse?.outcome;
    if (outcome !== undefined && body.reverseOutcome !== outcome) {
      out.push(`${sub.outTradeNo} compensated with reverseOutcome ${String(body.reverseOutcome)}, result ${outcome}`);
    }
  }
  return out;
}

/** d: no reverse request when the query showed everything closed, or the plan closed the order beforehand. */
function noNeedlessReverse(f: OrderFacts): string[] {
  const outcome = f.order.result?.reverse?.outcome;
  const out: string[] = [];
  if (f.order.plan === 'ALREADY_CLOSED' && f.order.phase === 'REVERSED' && outcome !== 'NOT_NEEDED') {
    out.push(`closed beforehand, yet the result says ${outcome ?? 'no outcome'}`);
  }
  if ((outcome === 'NOT_NEEDED' || f.order.plan === 'ALREADY_CLOSED') && f.reverses.length > 0) {
    out.push(`${f.reverses.length} reverse request(s) though nothing was to be reversed`);
  }
  return out;
}

/** e: an order adopted as paid is never reversed nor compensated, and announced exactly once; no other is. */
function adopted(f: OrderFacts): string[] {
  const { order, no } = f;
  const isAdopted = order.phase === 'PAID' && order.result?.paid?.source === 'WECHATPAY_QUERY';
  if (!isAdopted) {
    return f.confirms.length > 0 ? [`${f.confirms.length} payment confirmation(s) for an order not adopted`] : [];
  }
  const out: string[] = [];
  const key = confirmationWebhookId({ combineOutTradeNo: no });
  if (order.input.onPaidAtDeadline !== 'ADOPT') out.push('adopted from a query without onPaidAtDeadline ADOPT');
  if (f.reverses.length > 0) out.push(`adopted as paid, yet ${f.reverses.length} reverse request(s)`);
  if (f.compensations.length > 0) out.push(`adopted as paid, yet ${f.compensations.length} compensation request(s)`);
  const effective = f.confirms.filter((c) => c.effective).length;
  if (effective !== 1 || !f.all.confirmations.has(key)) out.push(`payment confirmed ${effective} times`);
  if (f.confirms.some((c) => c.webhookId !== key || c.idempotencyKey !== key)) {
    out.push(`a confirmation sent under another webhook-id than ${key}`);
  }
  if (f.confirms.some((c) => c.signatureOk !== true)) out.push('a confirmation sent without a valid signature');
  return out;
}

/** f: an accepted markPaid ends PAID, never reversed; PAID only through markPaid or ADOPT. */
function markPaidWins(f: OrderFacts): string[] {
  const { order } = f;
  const out: string[] = [];
  if (order.markPaidAccepted && order.phase !== 'PAID') out.push(`markPaid accepted, yet ended ${order.phase}`);
  if (order.markPaidAccepted && f.reverses.length > 0) out.push(`markPaid accepted, yet ${f.reverses.length} reverses`);
  const viaAdopt = order.input.onPaidAtDeadline === 'ADOPT' && order.result?.paid?.source === 'WECHATPAY_QUERY';
  if (order.phase === 'PAID' && !order.markPaidAccepted && !viaAdopt) out.push('PAID without markPaid or ADOPT');
  return out;
}

/** g: each sub-order of a REVERSED order compensated once, under its webhook-id, signed; no other order compensated. */
function compensatedOnce(f: OrderFacts): string[] {
  const { order, no } = f;
  const sent = f.compensations.length;
  if (order.phase !== 'REVERSED') return sent > 0 ? [`${sent} compensation request(s), ended ${order.phase}`] : [];
  const out: string[] = [];
  for (const sub of order.input.subOrders) {
    const key = compensationWebhookId({ combineOutTradeNo: no, outTradeNo: sub.outTradeNo });
    const forSub = f.compensations.filter((c) => c.outTradeNo === sub.outTradeNo);
    const effective = forSub.filter((c) => c.effective).length;
    if (effective !== 1 || !f.all.compensated.has(key)) out.push(`${sub.outTradeNo} compensated ${effective} times`);
    if (forSub.some((c) => c.webhookId !== key || c.idempotencyKey !== key)) {
      out.push(`${sub.outTradeNo} sent under another webhook-id than ${key}`);
    }
    if (forSub.some((c) => c.signatureOk !== true)) out.push(`${sub.outTradeNo} sent without a valid signature`);
  }
  return out;
}

/** h: the accepted reverse answer is a logged, verifiable, unfaulted answer with the same status (and code). */
function acceptedAnswerSigned(f: OrderFacts): string[] {
  const reverse = f.order.result?.reverse;
  if (f.order.phase !== 'REVERSED' || !reverse || reverse.httpStatus === undefined) return [];
  if (reverse.outcome === 'NOT_NEEDED') return [];
  const accepted = `${reverse.httpStatus}${reverse.code ? ` ${reverse.code}` : ''}`;
  const expected = reverse.outcome ? OUTCOME_ANSWER[reverse.outcome] : undefined;
  const out: string[] = [];
  if (expected && (expected.status !== reverse.httpStatus || expected.code !== reverse.code)) {
    out.push(`outcome ${reverse.outcome} from a ${accepted} answer`);
  }
  if (reverse.answerNonce === undefined || !f.peerNonces) {
    // A result or a peer log without nonces: some clean, verifiable answer with the accepted status must exist.
    const clean = f.reverses.some(
      (e) => e.answerVerifiable && !(e.fault && AFTER_EFFECT.has(e.fault)) && e.status === reverse.httpStatus,
    );
    if (!clean) out.push(`accepted a ${accepted} that no clean, verifiable answer carried`);
    return out;
  }
  const signed = f.reverses.find((e) => e.answerNonce === reverse.answerNonce);
  if (!signed) out.push(`accepted a ${accepted} signed with nonce ${reverse.answerNonce}, which no answer carried`);
  else if (!signed.answerVerifiable || signed.fault !== undefined || signed.status !== reverse.httpStatus) {
    const how = `${signed.status}${signed.fault ? ` with fault ${signed.fault}` : ''}`;
    out.push(`accepted a ${accepted}, but the answer signed with its nonce (seq ${signed.seq}) was ${how}`);
  } else if (reverse.code !== undefined && signed.code !== reverse.code) {
    out.push(`accepted ${accepted}, but the answer signed with its nonce (seq ${signed.seq}) had ${signed.code}`);
  }
  return out;
}

/** j: the reverse took effect (changed the order) at most once; a late debit landing is not the reverse's effect. */
function effectOnce(f: OrderFacts): string[] {
  const effects = f.reverses.filter((e) => e.effect && !e.effect.latePay);
  return effects.length > 1 ? [`the reverse took effect ${effects.length} times`] : [];
}

/** k: no compensation request before the last debit of the order landed (a landing the peer logged, or the checkout's). */
function compensatedAfterLastPay(f: OrderFacts): string[] {
  const landings = f.all.peerLog.filter((e) => e.orderNo === f.no && e.effect?.to === 'SUCCESS').map((e) => time(e.at));
  const last = Math.max(f.order.landedAt ?? -Infinity, ...landings);
  const early = f.compensations.filter((c) => time(c.at) <= last);
  return early.length === 0
    ? []
    : [
        `${early.length} compensation request(s), first at ${early[0]!.at}, before the debit landed at ${new Date(last).toISOString()}`,
      ];
}

/** l: every answer nonce an order accepted (queries and the reverse) was accepted once, by one order, in the whole run. */
function nonceAcceptedTwice(orders: readonly CheckedOrder[]): string[] {
  const by = new Map<string, string[]>();
  for (const o of orders) {
    const reverse = o.result?.reverse;
    const nonces = [...(reverse?.queries ?? []).map((q) => q.answerNonce), reverse?.answerNonce];
    for (const nonce of nonces) {
      if (nonce !== undefined) by.set(nonce, [...(by.get(nonce) ?? []), o.input.combineOutTradeNo]);
    }
  }
  return [...by]
    .filter(([, owners]) => owners.length > 1)
    .map(
      ([nonce, owners]) =>
        `${owners[owners.length - 1]!} rule l (${RULES.l}): answer nonce ${nonce} accepted ${owners.length} times (by ${owners.join(', ')})`,
    );
}

/**
 * Whether the answer logged as `e` was signed a whole second or more before its request arrived (in the peer's clock,
 * `at` moved by its `clockOffsetMs`): a stale or replayed answer. False when the peer logged no timestamp.
 */
function signedBeforeRequest(e: LoggedRequest): boolean {
  if (e.answerTimestamp === undefined) return false;
  return e.answerTimestamp * 1_000 < time(e.at) + (e.clockOffsetMs ?? 0) - 1_000;
}

/**
 * m: every answer the order accepted (its queries' and its reverse's, by nonce) was signed no earlier than a request it
 * answered arrived: at least one log entry carrying its nonce was signed then (a replay of a fresh answer is rules h
 * and l's concern; here, an answer that was never fresh, e.g. captured earlier and never delivered).
 */
function acceptedAnswersFresh(f: OrderFacts): string[] {
  const reverse = f.order.result?.reverse;
  const nonces = [...(reverse?.queries ?? []).map((q) => q.answerNonce), reverse?.answerNonce];
  const out: string[] = [];
  for (const nonce of nonces) {
    const carried = nonce === undefined ? [] : (f.answersByNonce.get(nonce) ?? []);
    if (carried.length === 0 || !carried.every(signedBeforeRequest)) continue;
    const e = carried[0]!;
    const early = (time(e.at) + (e.clockOffsetMs ?? 0) - e.answerTimestamp! * 1_000) / 1_000;
    out.push(
      `accepted a ${e.route} answer (nonce ${nonce}, seq ${e.seq}) signed ${Math.round(early)} s before its request`,
    );
  }
  return out;
}

/**
 * n: a DUPLICATE_START order confirmed paid got its second run, and that run moved no money: it stopped for an operator
 * with EARLIER_RUN_ENDED and was resolved, no reverse or compensation reached anyone, and WeChat Pay still has it paid.
 */
function duplicateMovedNoMoney(f: OrderFacts): string[] {
  const { order } = f;
  if (order.plan !== 'DUPLICATE_START' || !order.markPaidAccepted) return [];
  const out: string[] = [];
  const dup = order.duplicate;
  if (!dup) return ['the duplicate start was never made'];
  if (dup.attention !== 'EARLIER_RUN_ENDED') out.push(`the second run stopped with ${dup.attention ?? 'nothing'}`);
  if (dup.phase !== 'RESOLVED_MANUALLY') out.push(`the second run ended ${dup.phase ?? 'unsettled'}`);
  if (f.reverses.length > 0 || f.compensations.length > 0) {
    out.push(`${f.reverses.length} reverse and ${f.compensations.length} compensation request(s) for a paid order`);
  }
  if (f.final && f.final.state !== 'SUCCESS') out.push(`WeChat Pay has it ${f.final.state}, not paid`);
  return out;
}

/** The per-order rules, in order (i is checked over the whole log). */
const ORDER_RULES: readonly (readonly [RuleId, (f: OrderFacts) => string[]])[] = [
  ['a', settled],
  ['b', compensatedAfterQuery],
  ['c', compensatedState],
  ['d', noNeedlessReverse],
  ['e', adopted],
  ['f', markPaidWins],
  ['g', compensatedOnce],
  ['h', acceptedAnswerSigned],
  ['j', effectOnce],
  ['k', compensatedAfterLastPay],
  ['m', acceptedAnswersFresh],
  ['n', duplicateMovedNoMoney],
];
