/**
 * A model of one order's lifecycle (issue 34): pure TypeScript, no I/O, no clock. What the checkout, WeChat Pay, the
 * order service, faults on either side and an operator may do to one combined order of two sub-orders, and where the
 * order MUST come to rest, as docs/reference.md states it (the lifecycle, the pay window, the decision table, both
 * answer tables, the downstream rules) and docs/operations.md#act states the operator's `retry` and `resolve`.
 * `lifecycle.model.test.ts` drives the real worker through the same commands and compares each rest and the end with
 * the model's; {@link moneyViolations} checks the promises of the chaos run's invariants
 * (tools/devstack/chaos/invariants.ts) on any observed end, with their wording.
 *
 * Time is coarse: before the deadline (`stop` undefined), or after the order stopped waiting (deadline or
 * cancelOrder) but still inside its pay window, then at rest: {@link settle} runs the order from the end of its pay
 * window until it ends or waits for an operator (`NEEDS_ATTENTION`), by the tables, consuming the injected faults in
 * the order the calls meet them. An operator's `retry` runs it again from the step it waits at.
 */

/** What a paid-but-unconfirmed order does at the deadline (`onPaidAtDeadline`). */
export type OnPaid = 'REFUND' | 'ADOPT';

/** How many sub-orders the model's order has (the test's orders have two). */
export const SUB_ORDERS = 2;

/**
 * One sub-order's state at WeChat Pay (`PAYING`: a pay call of unknown outcome, queried as `USERPAYING`). `CLOSED`,
 * `REVOKED` and `REFUND` are final: a reverse leaves them as they are.
 */
type SubState = 'PAYING' | 'SUCCESS' | 'NOTPAY' | 'PAYERROR' | 'ACCEPT' | 'CLOSED' | 'REVOKED' | 'REFUND';

/** The states a partial change of one sub-order may set ({@link ModelCommand} `subOrderState`). */
export type PartialState = 'SUCCESS' | 'NOTPAY' | 'PAYERROR' | 'ACCEPT' | 'CLOSED';

const FINAL: readonly SubState[] = ['CLOSED', 'REVOKED', 'REFUND'];
const isFinal = (s: SubState): boolean => FINAL.includes(s);

/** WeChat Pay's two routes the order calls. */
export type WechatpayRoute = 'query' | 'reverse';
/** The order service's two routes. */
export type DownstreamRoute = 'compensate' | 'confirm';

/**
 * What a fault does to a call, as the answer tables of docs/reference.md say the product must take it: `retried`
 * (WeChat Pay did not process the request, e.g. a 5xx, a reset, an unsigned or stale answer: retried, nothing
 * changed), `spoiled` (processed, its answer late or unverifiable: retried; the retry sees the new state),
 * `refused` (for good: `NEEDS_ATTENTION`), `mismatch` (a verified query answer about another order: retried; after
 * 5 in a row `NEEDS_ATTENTION`; WeChat Pay can only misanswer an order it has).
 */
type FaultEffect = 'retried' | 'spoiled' | 'refused' | 'mismatch';

/** The simulator's WeChat Pay fault kinds the model draws, each with its effect (answer tables). */
export const WECHATPAY_FAULTS = {
  SYSTEM_ERROR: 'retried',
  RATE_LIMIT: 'retried',
  SERVICE_UNAVAILABLE: 'retried',
  FREQUENCY_LIMITED: 'retried',
  RESET: 'retried',
  SIGN_ERROR: 'retried',
  NO_AUTH: 'retried',
  INVALID_JSON: 'retried',
  ACCEPTED_202: 'retried',
  UNSIGNED_NOT_EXIST: 'retried',
  UNSIGNED_CLOSED: 'retried',
  STALE_ANSWER: 'retried',
  STALE_ANSWER_DATED: 'retried',
  TAMPER: 'spoiled',
  SIGNTEST: 'spoiled',
  NO_HEADERS: 'spoiled',
  WRONG_SERIAL: 'spoiled',
  SKEW: 'spoiled',
  DELAY: 'spoiled',
  PARAM_ERROR: 'refused',
  GENERIC_NOT_FOUND: 'refused',
  FOREIGN_MCHID: 'mismatch',
  EXTRA_SUB_ORDER: 'mismatch',
  SUB_MCHID_MISMATCH: 'mismatch',
  MISSING_SUB_ORDER: 'mismatch',
} as const satisfies Record<string, FaultEffect>;
/** One of {@link WECHATPAY_FAULTS}. */
export type WechatpayFault = keyof typeof WECHATPAY_FAULTS;

/**
 * The order service's fault kinds, each with its effect (docs/reference.md, the order service's answers): 5xx, 408,
 * 429, a reset and 401 (retried after `COMPENSATION_AUTH_RETRY_DELAY`) are retried; `DELAY` took effect and answers
 * too late (the retry is deduplicated: 409, done); another 4xx is refused: `NEEDS_ATTENTION`.
 */
export const DOWNSTREAM_FAULTS = {
  '500': 'retried',
  '503': 'retried',
  '429': 'retried',
  '408': 'retried',
  '401': 'retried',
  RESET: 'retried',
  DELAY: 'spoiled',
  '422': 'refused',
} as const satisfies Record<string, Exclude<FaultEffect, 'mismatch'>>;
/** One of {@link DOWNSTREAM_FAULTS}. */
export type DownstreamFault = keyof typeof DOWNSTREAM_FAULTS;

/** How many mismatched query answers in a row send the order to an operator (`QUERY_ANSWER_MISMATCH`). */
const MISMATCH_LIMIT = 5;
/** Reverse rounds without confirmation before `NEEDS_ATTENTION` (`CONFIRM`, `REVERSE_NOT_CONFIRMED`); per retry. */
const ROUNDS = 3;

/** An injected fault rule: the next `left` calls on its route (for one sub-order's compensation: `sub`) meet it. */
interface FaultRule {
  route: WechatpayRoute | DownstreamRoute;
  fault: WechatpayFault | DownstreamFault;
  left: number;
  sub?: number;
}

/** The step an order in `NEEDS_ATTENTION` waits at (`status.attention.step`). */
type AttentionStep = 'QUERY' | 'REVERSE' | 'CONFIRM' | 'COMPENSATION' | 'PAYMENT_CONFIRMATION';

/** Where an order runs from: the deciding query, a reverse round, the confirming query, the downstream calls. */
type Step = 'QUERY' | 'REVERSE' | 'CONFIRM' | 'COMPENSATION' | 'PAYMENT_CONFIRMATION';

type ReverseOutcome = 'REVERSED' | 'ALREADY_CLOSED' | 'ORDER_NOT_FOUND';

/** The order once its pay window closed: where it is in the reconciliation, what it did. */
interface Progress {
  phase: 'PAID' | 'REVERSED' | 'NEEDS_ATTENTION' | 'RESOLVED_MANUALLY';
  paidSource?: 'MARK_PAID' | 'WECHATPAY_QUERY';
  /** NEEDS_ATTENTION (and, once resolved, the last one): the step, the failure type, and where `retry` resumes. */
  attention?: { step: AttentionStep; reason: string; resume: Step };
  /** A reverse request was sent (accepted, refused or faulted): the order is confirming for life. */
  reverseSent: boolean;
  /** WeChat Pay showed the order (a query found it, or a reverse was accepted with 204 or "already closed"). */
  everFound: boolean;
  lastAccepted?: ReverseOutcome;
  /** What every compensation carries, fixed when a query confirmed the order settled. */
  compensation?: {
    tradeStates: ('CLOSED' | 'REVOKED' | 'REFUND' | 'NOT_FOUND')[];
    reverseOutcome: ReverseOutcome | 'NOT_NEEDED';
  };
  /** Each sub-order's compensation took effect. */
  compensated: boolean[];
  /** The payment confirmation (ADOPT) took effect. */
  confirmed: boolean;
}

/** One order as the checkout, WeChat Pay, the order service and an operator have left it so far. */
export interface ModelState {
  onPaid: OnPaid;
  /** markPaid was accepted: the order ended PAID (source MARK_PAID). */
  markPaid: boolean;
  /** Why the order stopped waiting for payment (undefined: still AWAITING_PAYMENT or PAID). */
  stop?: 'deadline' | 'cancelled';
  /** Pay calls announced and accepted. */
  payments: number;
  /** WeChat Pay has the order; `subs` is each sub-order's state then. */
  exists: boolean;
  subs: SubState[];
  /** Money movements WeChat Pay booked for each sub-order, in order (SUCCESS a debit, REVOKED our reverse, REFUND). */
  ledger: string[][];
  /** A debit that lands right after WeChat Pay's next signed "no such order" to a reverse or a query. */
  latePay?: 'REVERSE_NOT_FOUND' | 'QUERY_NOT_FOUND';
  /** WeChat Pay shows a refund made by a reverse only some time after it (`refundLagMs`). */
  refundLag: boolean;
  /** Sub-orders whose refund the next query does not show yet. */
  lagging: boolean[];
  /** The fault rules injected and not yet used up, in the order they were added. */
  faults: FaultRule[];
  /** A mismatch fault was injected (at most one per sequence: the limit counts answers in a row). */
  mismatchInjected: boolean;
  /** Undefined until the pay window closed and the order ran ({@link settle}). */
  order?: Progress;
}

/** A fresh order just started (the workflow exists, nothing announced, nothing at WeChat Pay). */
export function initialState(onPaid: OnPaid): ModelState {
  return {
    onPaid,
    markPaid: false,
    payments: 0,
    exists: false,
    subs: Array<SubState>(SUB_ORDERS).fill('PAYING'),
    ledger: Array.from({ length: SUB_ORDERS }, () => []),
    refundLag: false,
    lagging: Array<boolean>(SUB_ORDERS).fill(false),
    faults: [],
    mismatchInjected: false,
  };
}

/** The order is still AWAITING_PAYMENT: neither paid nor stopped. */
const awaiting = (s: ModelState): boolean => !s.markPaid && s.stop === undefined;

/** The order waits for its pay window: stopped, not paid, not yet run. */
const inPayWindow = (s: ModelState): boolean => !s.markPaid && s.stop !== undefined && s.order === undefined;

/** The order waits for an operator. */
const needsAttention = (s: ModelState): boolean => s.order?.phase === 'NEEDS_ATTENTION';

/** The order ended (PAID, REVERSED or RESOLVED_MANUALLY, as far as the model ran it). */
const ended = (s: ModelState): boolean => s.order !== undefined && !needsAttention(s);

/**
 * WeChat Pay's state may still change in a way the order must notice: before its deciding or confirming query ran,
 * or while it waits for an operator before compensating (a late debit, a refund or a close by hand).
 */
const peerMayChange = (s: ModelState): boolean =>
  awaiting(s) ||
  inPayWindow(s) ||
  (needsAttention(s) && ['QUERY', 'REVERSE', 'CONFIRM'].includes(s.order!.attention!.step));

/** No sub-order paid, closed or refunded yet: a debit can still land. */
const unpaid = (s: ModelState): boolean => !s.exists || s.subs.every((x) => x === 'PAYING');

/**
 * The model's commands. Each names what may be done, when ({@link allowed}) and what the product must answer
 * ({@link apply}).
 */
export type ModelCommand =
  | { kind: 'beginPayment' }
  | { kind: 'payHangs' }
  | { kind: 'payLands'; when: 'inTime' | 'late' }
  | { kind: 'markPaid' }
  | { kind: 'cancelOrder' }
  | { kind: 'duplicateStart' }
  | { kind: 'closedAtWechatPay' }
  /** Customer service refunds the debit in the merchant portal: every sub-order, or one (`sub`). */
  | { kind: 'refundedElsewhere'; sub?: number }
  /** One sub-order alone changes at WeChat Pay (a mix of states: one paid, one closed, …). */
  | { kind: 'subOrderState'; sub: number; state: PartialState }
  /** The debit lands right after WeChat Pay's first signed "no such order" to a reverse or to a query. */
  | { kind: 'payLandsAfterNotFound'; after: 'REVERSE_NOT_FOUND' | 'QUERY_NOT_FOUND' }
  /** WeChat Pay shows a reverse's refund only 2 s after it (the confirming query right after sees it paid). */
  | { kind: 'refundLags' }
  /** The next `count` calls of this order on `route` meet `fault`. */
  | { kind: 'wechatpayFault'; route: WechatpayRoute; fault: WechatpayFault; count: number }
  /** The next call on `route` (a compensation: of sub-order `sub`) meets `fault`. */
  | { kind: 'orderServiceFault'; route: DownstreamRoute; fault: DownstreamFault; sub?: number }
  | { kind: 'deadlinePasses' }
  /** The pay window closes and the order runs until it ends or waits for an operator. */
  | { kind: 'settle' }
  /** The operator's `retry` and `resolve` (ignored outside NEEDS_ATTENTION). */
  | { kind: 'operatorRetry' }
  | { kind: 'operatorResolve' }
  /**
   * The races (sent at the deadline, or together): who wins is Temporal's timing, so the model takes the product's
   * answer to `markPaid` (`raced`) and then holds it to that branch: accepted → PAID and never reversed; refused →
   * stopped, reversed by the query.
   */
  | { kind: 'markPaidAtDeadline'; raced?: Answer }
  | { kind: 'cancelRacesMarkPaid'; raced?: Answer }
  /** A pay call's debit lands at the deadline, whether or not the order has seen its timer yet: inside the window. */
  | { kind: 'payLandsAtDeadline' };

/** What the checkout (or the operator) must see: an answer, or where the order came to rest; undefined: nothing. */
export type Answer = 'accepted' | 'refused' | 'alreadyStarted' | 'ignored' | `rest: ${string}` | undefined;

/** The readable form of a command, as it is written in a test case (`payLands('late')`). */
export function describeCommand(c: ModelCommand): string {
  const q = (v: string | number) => (typeof v === 'string' ? `'${v}'` : String(v));
  switch (c.kind) {
    case 'payLands':
      return `payLands('${c.when}')`;
    case 'refundedElsewhere':
      return c.sub === undefined ? 'refundedElsewhere()' : `refundedElsewhere(${c.sub})`;
    case 'subOrderState':
      return `subOrderState(${c.sub}, '${c.state}')`;
    case 'payLandsAfterNotFound':
      return `payLandsAfterNotFound('${c.after}')`;
    case 'wechatpayFault':
      return `wechatpayFault('${c.route}', '${c.fault}', ${c.count})`;
    case 'orderServiceFault':
      return `orderServiceFault(${[c.route, c.fault, ...(c.sub === undefined ? [] : [c.sub])].map(q).join(', ')})`;
    default:
      return `${c.kind}()`;
  }
}

/** Whether `c` may happen now (WeChat Pay takes no debit on a closed or refunded order; a late pay needs a window). */
export function allowed(s: ModelState, c: ModelCommand): boolean {
  switch (c.kind) {
    case 'beginPayment':
    case 'markPaid':
    case 'duplicateStart':
    case 'cancelOrder':
    case 'operatorRetry':
    case 'operatorResolve':
      return true;
    case 'settle':
      return s.order === undefined;
    case 'deadlinePasses':
    case 'markPaidAtDeadline':
    case 'cancelRacesMarkPaid':
      // Each stops the order (or pays it); once stopped or paid the deadline has nothing more to do.
      return awaiting(s);
    case 'payLandsAtDeadline':
      return awaiting(s) && unpaid(s);
    case 'payHangs':
      // A pay call whose outcome is unknown (queried USERPAYING): only sent while the order waits, at a new order.
      return awaiting(s) && !s.exists;
    case 'payLands':
      if (!unpaid(s)) return false;
      return c.when === 'inTime' ? awaiting(s) || (s.markPaid && !ended(s)) : !awaiting(s) && peerMayChange(s);
    case 'closedAtWechatPay':
      // WeChat Pay closes an unpaid order (its own timeout, a failed pay call).
      return peerMayChange(s) && (!s.exists || s.subs.every((x) => !isFinal(x) && x !== 'SUCCESS'));
    case 'refundedElsewhere':
      return (
        peerMayChange(s) &&
        s.exists &&
        (c.sub === undefined ? s.subs.every((x) => x === 'SUCCESS') : s.subs[c.sub] === 'SUCCESS')
      );
    case 'subOrderState':
      return peerMayChange(s) && s.exists && s.subs[c.sub] === 'PAYING';
    case 'payLandsAfterNotFound':
      return (awaiting(s) || inPayWindow(s)) && !s.exists && s.latePay === undefined;
    case 'refundLags':
      return !ended(s) && !s.refundLag;
    case 'wechatpayFault': {
      if (ended(s)) return false;
      const effect = WECHATPAY_FAULTS[c.fault];
      if (effect === 'mismatch') return c.route === 'query' && !s.mismatchInjected;
      // A refused reverse is stated for the first reverse only: injected before any was sent, one at a time.
      if (effect === 'refused' && c.route === 'reverse') {
        return !s.order?.reverseSent && !s.faults.some((f) => f.route === 'reverse' && f.fault === c.fault);
      }
      return true;
    }
    case 'orderServiceFault':
      return !ended(s) && (c.route === 'compensate' || s.onPaid === 'ADOPT');
  }
}

/** A copy to change (the model's states are never changed in place). */
const clone = (s: ModelState): ModelState => structuredClone(s);

/** The debit of a pay call lands (in place): every sub-order SUCCESS, one debit booked each; a late pay is moot. */
function land(d: ModelState): void {
  d.exists = true;
  d.subs = d.subs.map(() => 'SUCCESS');
  d.ledger.forEach((l) => l.push('SUCCESS'));
  delete d.latePay;
}

/** {@link land} on a copy. */
function debit(s: ModelState): ModelState {
  const d = clone(s);
  land(d);
  return d;
}

/** WeChat Pay now has the order, every sub-order in `state` (a pending late pay can no longer land). */
function created(s: ModelState, state: SubState): ModelState {
  const d = clone(s);
  d.exists = true;
  d.subs = d.subs.map(() => state);
  delete d.latePay;
  return d;
}

/** Applies an allowed command: the next state and what the checkout (or operator) must see. */
export function apply(s: ModelState, c: ModelCommand): { next: ModelState; answer: Answer } {
  const same = (answer: Answer) => ({ next: s, answer });
  switch (c.kind) {
    case 'beginPayment':
      // Accepted only while AWAITING_PAYMENT; refused once paid, cancelled or past the deadline.
      return awaiting(s) ? { next: { ...s, payments: s.payments + 1 }, answer: 'accepted' } : same('refused');
    case 'markPaid':
      // Accepted while AWAITING_PAYMENT, idempotently once PAID; refused once the reversal has begun.
      if (s.markPaid || s.order?.phase === 'PAID') return same('accepted');
      return awaiting(s) ? { next: { ...s, markPaid: true }, answer: 'accepted' } : same('refused');
    case 'cancelOrder':
      return { next: awaiting(s) ? { ...s, stop: 'cancelled' } : s, answer: undefined };
    case 'deadlinePasses':
      return { next: { ...s, stop: 'deadline' }, answer: undefined };
    case 'markPaidAtDeadline':
    case 'cancelRacesMarkPaid': {
      // Either answer is allowed; whichever the product gave decides the branch.
      const answer = c.raced ?? 'accepted';
      if (answer === 'accepted') return { next: { ...s, markPaid: true }, answer };
      return { next: { ...s, stop: c.kind === 'markPaidAtDeadline' ? 'deadline' : 'cancelled' }, answer };
    }
    case 'payLandsAtDeadline':
      return { next: debit({ ...s, stop: 'deadline' }), answer: undefined };
    case 'duplicateStart':
      // The client's start is idempotent: it returns the running or completed order and starts nothing.
      return same('alreadyStarted');
    case 'payHangs':
      return { next: created(s, 'PAYING'), answer: undefined };
    case 'payLands':
      return { next: debit(s), answer: undefined };
    case 'closedAtWechatPay':
      return { next: created(s, 'CLOSED'), answer: undefined };
    case 'refundedElsewhere': {
      const d = clone(s);
      d.subs.forEach((x, i) => {
        if (x === 'SUCCESS' && (c.sub === undefined || c.sub === i)) {
          d.subs[i] = 'REFUND';
          d.ledger[i]!.push('REFUND');
        }
      });
      return { next: d, answer: undefined };
    }
    case 'subOrderState': {
      const d = clone(s);
      d.subs[c.sub] = c.state;
      if (c.state === 'SUCCESS') d.ledger[c.sub]!.push('SUCCESS');
      return { next: d, answer: undefined };
    }
    case 'payLandsAfterNotFound':
      return { next: { ...s, latePay: c.after }, answer: undefined };
    case 'refundLags':
      return { next: { ...s, refundLag: true }, answer: undefined };
    case 'wechatpayFault':
      return {
        next: {
          ...s,
          faults: [...s.faults, { route: c.route, fault: c.fault, left: c.count }],
          mismatchInjected: s.mismatchInjected || WECHATPAY_FAULTS[c.fault] === 'mismatch',
        },
        answer: undefined,
      };
    case 'orderServiceFault':
      return {
        next: { ...s, faults: [...s.faults, { route: c.route, fault: c.fault, left: 1, sub: c.sub }] },
        answer: undefined,
      };
    case 'settle': {
      const next = settle(s);
      return { next, answer: restOf(next) };
    }
    case 'operatorRetry': {
      if (!needsAttention(s)) return same('ignored');
      const d = clone(s);
      run(d, d.order!.attention!.resume);
      return { next: d, answer: restOf(d) };
    }
    case 'operatorResolve': {
      if (!needsAttention(s)) return same('ignored');
      const d = clone(s);
      d.order!.phase = 'RESOLVED_MANUALLY';
      return { next: d, answer: undefined };
    }
  }
}

/** Where an order rests, as the `settle` command answers it (`rest: REVERSED`, `rest: NEEDS_ATTENTION QUERY X`). */
function restOf(s: ModelState): Answer {
  const o = s.order!;
  if (o.phase !== 'NEEDS_ATTENTION') return `rest: ${o.phase}`;
  return `rest: NEEDS_ATTENTION ${o.attention!.step} ${o.attention!.reason}`;
}

/**
 * The order once its pay window closed (a deadline that has not passed passes now): markPaid won, or it runs from
 * its deciding query until it ends or waits for an operator.
 */
function settle(s: ModelState): ModelState {
  if (s.order) return s;
  const d = clone(s);
  const fresh: Progress = {
    phase: 'REVERSED',
    reverseSent: false,
    everFound: false,
    compensated: Array<boolean>(SUB_ORDERS).fill(false),
    confirmed: false,
  };
  if (d.markPaid) {
    d.order = { ...fresh, phase: 'PAID', paidSource: 'MARK_PAID' };
    return d;
  }
  d.stop ??= 'deadline';
  d.order = fresh;
  run(d, 'QUERY');
  return d;
}

// ── The peer, as the model sees it: WeChat Pay and the order service meeting the injected faults ──

/** The first rule for this call that can act on it, used once (WeChat Pay can only misanswer an order it has). */
function nextFault(d: ModelState, route: FaultRule['route'], sub?: number): FaultRule | undefined {
  const rule = d.faults.find(
    (f) =>
      f.route === route &&
      f.left > 0 &&
      (f.sub === undefined || f.sub === sub) &&
      (WECHATPAY_FAULTS[f.fault as WechatpayFault] !== 'mismatch' || d.exists),
  );
  if (rule) rule.left -= 1;
  d.faults = d.faults.filter((f) => f.left > 0);
  return rule;
}

function effectOf(rule: FaultRule): FaultEffect {
  return rule.route === 'query' || rule.route === 'reverse'
    ? WECHATPAY_FAULTS[rule.fault as WechatpayFault]
    : DOWNSTREAM_FAULTS[rule.fault as DownstreamFault];
}

/** A query as WeChat Pay processes it: the order's visible states, or absent (a late pay may land right after). */
function queryProcessed(d: ModelState): { found: false } | { found: true; states: SubState[] } {
  if (!d.exists) {
    if (d.latePay === 'QUERY_NOT_FOUND') land(d);
    return { found: false };
  }
  const states = d.subs.map((x, i) => (d.lagging[i] ? 'SUCCESS' : x));
  d.lagging = d.lagging.map(() => false);
  return { found: true, states };
}

type QueryAnswer = { refused: true } | { mismatch: true } | { found: false } | { found: true; states: SubState[] };

/** One query step (an activity with its retries): the answer it accepts, or why it cannot succeed. */
function query(d: ModelState): QueryAnswer {
  let mismatches = 0;
  for (;;) {
    const rule = nextFault(d, 'query');
    if (!rule) return queryProcessed(d);
    const effect = effectOf(rule);
    if (effect === 'refused') return { refused: true };
    if (effect === 'spoiled') queryProcessed(d);
    if (effect === 'mismatch' && ++mismatches >= MISMATCH_LIMIT) return { mismatch: true };
  }
}

/** A reverse as WeChat Pay processes it: paid sub-orders refunded, unpaid ones closed; 204, or "no such order". */
function reverseProcessed(d: ModelState): ReverseOutcome {
  if (!d.exists) {
    if (d.latePay === 'REVERSE_NOT_FOUND') land(d);
    return 'ORDER_NOT_FOUND';
  }
  d.subs.forEach((x, i) => {
    if (isFinal(x)) return;
    if (x === 'SUCCESS') {
      d.subs[i] = 'REFUND';
      d.ledger[i]!.push('REVOKED');
      if (d.refundLag) d.lagging[i] = true;
    } else d.subs[i] = 'CLOSED';
  });
  // A repeat (nothing left to reverse) answers 204 again (the simulator's default repeat policy).
  return 'REVERSED';
}

/** One reverse step: the answer it accepts, or refused. */
function reverse(d: ModelState): ReverseOutcome | 'refused' {
  for (;;) {
    const rule = nextFault(d, 'reverse');
    if (!rule) return reverseProcessed(d);
    const effect = effectOf(rule);
    if (effect === 'refused') return 'refused';
    if (effect === 'spoiled') reverseProcessed(d);
  }
}

/** One downstream call (a sub-order's compensation, or the payment confirmation): done, or refused. */
function downstream(d: ModelState, route: DownstreamRoute, sub?: number): 'done' | 'refused' {
  for (;;) {
    const rule = nextFault(d, route, sub);
    if (!rule) return 'done';
    const effect = effectOf(rule);
    if (effect === 'refused') return 'refused';
    // 'spoiled' took effect: the retry is deduplicated (409), done.
    if (effect === 'spoiled') return 'done';
  }
}

// ── The order, by the decision table ──

function attention(d: ModelState, step: AttentionStep, reason: string, resume: Step): void {
  d.order!.phase = 'NEEDS_ATTENTION';
  d.order!.attention = { step, reason, resume };
}

/**
 * After a reverse was sent, a query confirms the order when every sub-order is CLOSED, REVOKED or REFUND, or when the
 * order is absent and WeChat Pay never showed it: the compensation's data then. Undefined: not confirmed.
 */
function confirmation(o: Progress, q: { found: false } | { found: true; states: SubState[] }) {
  if (!q.found) return o.everFound ? undefined : SUB_ORDERS_NOT_FOUND();
  if (!q.states.every(isFinal)) return undefined;
  return q.states as ('CLOSED' | 'REVOKED' | 'REFUND')[];
}
/**
 * What the compensations say of the reverse once a query confirmed the order: the last reverse answer accepted; with
 * none accepted (refused, or spoiled after it took effect), the confirming query is the proof: `ALREADY_CLOSED` when
 * it found the order, `ORDER_NOT_FOUND` when it did not.
 */
function outcomeOf(o: Progress, q: { found: boolean }): ReverseOutcome {
  return o.lastAccepted ?? (q.found ? 'ALREADY_CLOSED' : 'ORDER_NOT_FOUND');
}
const SUB_ORDERS_NOT_FOUND = () => Array<'NOT_FOUND'>(SUB_ORDERS).fill('NOT_FOUND');

/**
 * A row of the decision table no command reaches: "no such order" after WeChat Pay showed the order
 * (`NOT_FOUND_AFTER_FOUND`) needs an order to vanish, which nothing in the model does.
 */
function unreachable(what: string): never {
  throw new Error(`the model reached ${what}, which no command should`);
}

/** Runs the order from `step` until it ends or waits for an operator (docs/reference.md#decision-table). */
function run(d: ModelState, step: Step): void {
  const o = d.order!;
  o.phase = 'REVERSED';
  let rounds = 0;
  for (;;) {
    switch (step) {
      case 'QUERY': {
        // Once a reverse was sent, every query is a confirming one.
        if (o.reverseSent) {
          step = 'CONFIRM';
          break;
        }
        const q = query(d);
        if ('refused' in q) return attention(d, 'QUERY', 'QUERY_REJECTED', 'QUERY');
        if ('mismatch' in q) return attention(d, 'QUERY', 'QUERY_ANSWER_MISMATCH', 'QUERY');
        if (!q.found) {
          step = 'REVERSE';
          break;
        }
        o.everFound = true;
        if (q.states.every((x) => x === 'CLOSED' || x === 'REVOKED')) {
          // NOTHING_TO_REVERSE: no reverse; compensated with what the query saw.
          o.compensation = { tradeStates: q.states, reverseOutcome: 'NOT_NEEDED' };
          step = 'COMPENSATION';
        } else if (q.states.includes('REFUND')) {
          return attention(d, 'QUERY', 'REFUNDED_BEFORE_REVERSE', 'QUERY');
        } else if (q.states.every((x) => x === 'SUCCESS') && d.onPaid === 'ADOPT') {
          step = 'PAYMENT_CONFIRMATION';
        } else step = 'REVERSE';
        break;
      }
      case 'REVERSE': {
        const first = !o.reverseSent;
        o.reverseSent = true;
        rounds += 1;
        const answer = reverse(d);
        if (answer !== 'refused') {
          o.lastAccepted = answer;
          if (answer !== 'ORDER_NOT_FOUND') o.everFound = true;
        }
        const q = query(d);
        if ('refused' in q) return attention(d, 'QUERY', 'QUERY_REJECTED', 'QUERY');
        if ('mismatch' in q) return attention(d, 'QUERY', 'QUERY_ANSWER_MISMATCH', 'QUERY');
        const confirmed = confirmation(o, q);
        if (confirmed) {
          o.compensation = { tradeStates: confirmed, reverseOutcome: outcomeOf(o, q) };
          step = 'COMPENSATION';
          break;
        }
        // Only the very first reverse refused while the query still shows something to reverse waits.
        if (answer === 'refused' && first) return attention(d, 'REVERSE', 'REVERSE_REJECTED', 'CONFIRM');
        if (!q.found) unreachable('NOT_FOUND_AFTER_FOUND');
        // NOT_CONFIRMED: reverse again, at most ROUNDS per run.
        if (rounds >= ROUNDS) return attention(d, 'CONFIRM', 'REVERSE_NOT_CONFIRMED', 'CONFIRM');
        break;
      }
      case 'CONFIRM': {
        // A confirming query, and a reverse only if it still shows something to reverse.
        const q = query(d);
        if ('refused' in q) return attention(d, 'QUERY', 'QUERY_REJECTED', 'QUERY');
        if ('mismatch' in q) return attention(d, 'QUERY', 'QUERY_ANSWER_MISMATCH', 'QUERY');
        const confirmed = confirmation(o, q);
        if (confirmed) {
          o.compensation = { tradeStates: confirmed, reverseOutcome: outcomeOf(o, q) };
          step = 'COMPENSATION';
        } else if (!q.found) {
          unreachable('NOT_FOUND_AFTER_FOUND');
        } else step = 'REVERSE';
        break;
      }
      case 'COMPENSATION': {
        // One call per unfinished sub-order; a refusal waits for an operator, whose retry re-drives the rest.
        let refused = false;
        o.compensated.forEach((done, i) => {
          if (done) return;
          if (downstream(d, 'compensate', i) === 'done') o.compensated[i] = true;
          else refused = true;
        });
        if (refused) return attention(d, 'COMPENSATION', 'COMPENSATION_REJECTED', 'COMPENSATION');
        o.phase = 'REVERSED';
        return;
      }
      case 'PAYMENT_CONFIRMATION': {
        if (downstream(d, 'confirm') === 'refused') {
          return attention(d, 'PAYMENT_CONFIRMATION', 'CONFIRMATION_REJECTED', 'PAYMENT_CONFIRMATION');
        }
        o.confirmed = true;
        o.phase = 'PAID';
        o.paidSource = 'WECHATPAY_QUERY';
        return;
      }
    }
  }
}

/** A sub-order at WeChat Pay, as the end shows it (`NONE`: no such order). */
export type PeerSubState = SubState | 'NONE';

/** The end an order must reach, and what WeChat Pay and the order service must show then. */
export interface End {
  phase: 'PAID' | 'REVERSED' | 'NEEDS_ATTENTION' | 'RESOLVED_MANUALLY';
  /** PAID: who said so. */
  paidSource?: 'MARK_PAID' | 'WECHATPAY_QUERY';
  /** NEEDS_ATTENTION: the step and the failure type. */
  attention?: { step: string; reason: string };
  /** What the compensations say of the reverse (`NOT_NEEDED`: none sent), and why the order was reversed. */
  reverseOutcome?: ReverseOutcome | 'NOT_NEEDED';
  reason?: 'PAYMENT_TIMEOUT' | 'CANCELLED';
  /** What stopped the order waiting for payment (where its pay window started); undefined: markPaid won. */
  stop?: 'deadline' | 'cancelled';
  /** The tradeState each sub-order was compensated with (undefined: not compensated). */
  compensatedAs: (string | undefined)[];
  /** Reverse requests sent to WeChat Pay: none, or at least one. */
  reversed: boolean;
  /** A payment confirmation (ADOPT) took effect. */
  confirmed: boolean;
  /** WeChat Pay's final state of each sub-order. */
  peer: PeerSubState[];
  /** WeChat Pay's ledger for each sub-order. */
  ledger: string[][];
}

/** The end of an order after the commands: settled if it was not (a deadline that has not passed passes now). */
export function expectedEnd(state: ModelState): End {
  const s = settle(state);
  const o = s.order!;
  const compensated = o.compensated.some(Boolean);
  return {
    phase: o.phase,
    ...(o.paidSource ? { paidSource: o.paidSource } : {}),
    ...(o.phase === 'NEEDS_ATTENTION' ? { attention: { step: o.attention!.step, reason: o.attention!.reason } } : {}),
    ...(compensated
      ? {
          reverseOutcome: o.compensation!.reverseOutcome,
          reason: s.stop === 'cancelled' ? ('CANCELLED' as const) : ('PAYMENT_TIMEOUT' as const),
        }
      : {}),
    ...(s.stop ? { stop: s.stop } : {}),
    compensatedAs: o.compensated.map((done, i) => (done ? o.compensation!.tradeStates[i] : undefined)),
    reversed: o.reverseSent,
    confirmed: o.confirmed,
    peer: s.exists ? [...s.subs] : s.subs.map(() => 'NONE' as const),
    ledger: s.ledger,
  };
}

/** What the test observed of one order at its end (the shape of {@link End}, compensations counted). */
export interface Observed extends Omit<End, 'compensatedAs' | 'stop'> {
  /** Where the pay window started (`status.reverse.windowStart.by`). */
  stop?: string;
  /** Each sub-order's compensation tradeState (undefined: not compensated) and how many took effect. */
  compensations: { tradeState?: string; effective: number }[];
  /** markPaid was accepted at least once. */
  markPaidAccepted: boolean;
  /** The step the order last waited at for an operator (a resolved order's too). */
  lastAttentionStep?: string;
}

/**
 * The money promises (the chaos invariants' rules, their wording) on an observed end, whatever the model expects:
 * violations as `rule <x> (<name>): <what>`.
 */
export function moneyViolations(o: Observed): string[] {
  const out: string[] = [];
  const compensated = o.compensations.filter((c) => c.effective > 0);
  o.compensations.forEach((c, i) => {
    if (c.effective === 0) return;
    // b/c: compensation only once WeChat Pay shows the sub-order settled; compensated with its state.
    const peer = o.peer[i]!;
    const settled = peer === 'NONE' || isFinal(peer);
    if (!settled) {
      out.push(
        `rule c (compensated state is WeChat Pay state): sub-order ${i} compensated while WeChat Pay has ${peer}`,
      );
    } else if (c.tradeState !== (peer === 'NONE' ? 'NOT_FOUND' : peer)) {
      out.push(
        `rule c (compensated state is WeChat Pay state): sub-order ${i} compensated as ${c.tradeState}, WeChat Pay has ${peer}`,
      );
    }
    if (c.effective > 1) out.push(`rule g (compensated exactly once): sub-order ${i} compensated ${c.effective} times`);
  });
  // e: adopted orders, never after a reverse.
  if (o.paidSource === 'WECHATPAY_QUERY' && (o.reversed || compensated.length > 0)) {
    out.push('rule e (adopted orders, never after a reverse): adopted as paid, yet reversed or compensated');
  }
  if (o.confirmed && o.paidSource !== 'WECHATPAY_QUERY') {
    out.push('rule e (adopted orders, never after a reverse): payment confirmation for an order not adopted');
  }
  // f: markPaid wins; a PAID order was never reversed; never PAID without markPaid or a debit kept (ADOPT).
  if (o.markPaidAccepted && o.phase !== 'PAID')
    out.push(`rule f (markPaid wins): markPaid accepted, yet ended ${o.phase}`);
  if (o.phase === 'PAID' && o.reversed) out.push('rule f (markPaid wins): ended PAID, yet a reverse was sent');
  if (
    o.phase === 'PAID' &&
    !o.markPaidAccepted &&
    (o.paidSource !== 'WECHATPAY_QUERY' || o.peer.some((p) => p !== 'SUCCESS'))
  ) {
    out.push(
      `rule f (markPaid wins): PAID without markPaid or ADOPT of a debit kept (WeChat Pay has ${o.peer.join('/')})`,
    );
  }
  // g: each sub-order of a REVERSED order compensated exactly once; otherwise only an order that waited at (or was
  // resolved from) its compensation step has compensations, never a PAID one.
  if (o.phase === 'REVERSED' && o.compensations.some((c) => c.effective !== 1)) {
    out.push(`rule g (compensated exactly once): ${o.compensations.map((c) => c.effective).join('/')} compensations`);
  }
  if (o.phase !== 'REVERSED' && compensated.length > 0 && o.lastAttentionStep !== 'COMPENSATION') {
    out.push(`rule g (compensated exactly once): ${compensated.length} compensation(s), ended ${o.phase}`);
  }
  return out;
}

/** The differences between the model's end and the observed one, each `<field>: model <x>, real <y>`. */
export function differences(expected: End, o: Observed): string[] {
  const out: string[] = [];
  const same = (field: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b))
      out.push(`${field}: model ${JSON.stringify(a)}, real ${JSON.stringify(b)}`);
  };
  same('phase', expected.phase, o.phase);
  same('paid source', expected.paidSource, o.paidSource);
  same('attention', expected.attention, o.attention);
  same('reverse outcome', expected.reverseOutcome, o.reverseOutcome);
  same('reason', expected.reason, o.reason);
  same('stopped by', expected.stop, o.stop);
  same('reverse sent', expected.reversed, o.reversed);
  same('payment confirmation', expected.confirmed, o.confirmed);
  same('WeChat Pay state', expected.peer, o.peer);
  o.compensations.forEach((c, i) => {
    same(`sub-order ${i} compensated as`, expected.compensatedAs[i], c.effective > 0 ? c.tradeState : undefined);
  });
  o.ledger.forEach((l, i) => same(`sub-order ${i} ledger`, expected.ledger[i], l));
  return out;
}

// ── Races: is what the product did explained by some order of the racing events? ──

/** A debit landing now, as the model names it: in time while the order waits (or once markPaid won), else late. */
export function payLandsNow(s: ModelState): ModelCommand {
  return { kind: 'payLands', when: s.stop === undefined ? 'inTime' : 'late' };
}

/** The deadline passing now: it stops an order still waiting; once paid or stopped it does nothing. */
export function deadlineNow(s: ModelState): ModelCommand | undefined {
  return awaiting(s) ? { kind: 'deadlinePasses' } : undefined;
}

/**
 * One racing event as it happened: the command it is at the moment it takes effect (undefined: none), what the real
 * system answered, and when it ran (epoch ms: it took effect at one instant from `start` to `end`).
 */
export interface RaceEvent {
  label: string;
  command: (s: ModelState) => ModelCommand | undefined;
  answer: Answer;
  start: number;
  end: number;
}

/**
 * Whether some order of `events` explains what the product did (linearizability): each event takes effect at one
 * instant within its run, so one that ended before another started comes first; in that order each command must be
 * allowed and answer what the real system answered, and the model's end after them (settled) must be `observed`,
 * money rules aside. The first such order, or the near misses: the orders whose answers matched, with how their end
 * differed (at most `maxMisses`).
 */
export function explainRace(
  initial: ModelState,
  events: readonly RaceEvent[],
  observed: Observed,
  maxMisses = 3,
): { order: string[] } | { misses: string[] } {
  const misses: string[] = [];
  const placed: RaceEvent[] = [];
  const search = (s: ModelState): string[] | undefined => {
    if (placed.length === events.length) {
      const diff = differences(expectedEnd(s), observed);
      if (diff.length === 0) return placed.map((e) => e.label);
      if (misses.length < maxMisses) misses.push(`${placed.map((e) => e.label).join(' → ')}: ${diff.join('; ')}`);
      return undefined;
    }
    for (const e of events) {
      if (placed.includes(e)) continue;
      // Every event that ended before this one started must already have taken effect.
      if (events.some((x) => x !== e && !placed.includes(x) && x.end < e.start)) continue;
      const c = e.command(s);
      let next = s;
      if (c) {
        if (!allowed(s, c)) continue;
        const applied = apply(s, c);
        if (applied.answer !== e.answer) continue;
        next = applied.next;
      } else if (e.answer !== undefined) continue;
      placed.push(e);
      const found = search(next);
      placed.pop();
      if (found) return found;
    }
    return undefined;
  };
  const order = search(initial);
  return order ? { order } : { misses };
}
