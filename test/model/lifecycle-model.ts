/**
 * A model of one order's lifecycle (issue 34): pure TypeScript, no I/O, no clock. What the checkout, WeChat Pay and
 * the passing of time may do to one combined order, and the end the order MUST reach, as docs/reference.md states it
 * (the lifecycle, the pay window, the decision table). `lifecycle.model.test.ts` drives the real worker through the
 * same commands and compares the real end with {@link expectedEnd}; {@link moneyViolations} checks the promises of
 * the chaos run's invariants (tools/devstack/chaos/invariants.ts) on any observed end, with their wording.
 *
 * Time is coarse: before the deadline (`stop` undefined), or after the order stopped waiting (deadline or
 * cancelOrder) but still inside its pay window (the test keeps every command after the stop inside the window), and
 * the end (the query after the window).
 */

/** What a paid-but-unconfirmed order does at the deadline (`onPaidAtDeadline`). */
export type OnPaid = 'REFUND' | 'ADOPT';

/** WeChat Pay's state of the order as the simulator holds it (every sub-order alike); NONE: no such order. */
export type PeerState = 'NONE' | 'PAYING' | 'SUCCESS' | 'CLOSED' | 'REFUND';

/** One order as the checkout, WeChat Pay and an operator have left it so far. */
export interface ModelState {
  onPaid: OnPaid;
  /** markPaid was accepted: the order ended PAID (source MARK_PAID). */
  markPaid: boolean;
  /** Why the order stopped waiting for payment (undefined: still AWAITING_PAYMENT or PAID). */
  stop?: 'deadline' | 'cancelled';
  /** Pay calls announced and accepted. */
  payments: number;
  /** WeChat Pay's state of the order. */
  peer: PeerState;
  /** Money movements WeChat Pay booked for each sub-order, in order (SUCCESS a debit, REVOKED a reverse, REFUND). */
  ledger: string[];
}

/** A fresh order just started (the workflow exists, nothing announced, nothing at WeChat Pay). */
export function initialState(onPaid: OnPaid): ModelState {
  return { onPaid, markPaid: false, payments: 0, peer: 'NONE', ledger: [] };
}

/** The order is still AWAITING_PAYMENT: neither paid nor stopped. */
const awaiting = (s: ModelState): boolean => !s.markPaid && s.stop === undefined;

/** The order waits for its pay window: stopped and not paid (a query has not run yet). */
const inPayWindow = (s: ModelState): boolean => !s.markPaid && s.stop !== undefined;

/**
 * The model's commands: each names what may be done, when (`allowed`) and what the product must answer (`apply`
 * returns the next state and the answer the checkout must see).
 */
export type ModelCommand =
  | { kind: 'beginPayment' }
  | { kind: 'payHangs' }
  | { kind: 'payLands'; when: 'inTime' | 'late' }
  | { kind: 'markPaid' }
  | { kind: 'cancelOrder' }
  | { kind: 'duplicateStart' }
  | { kind: 'closedAtWechatPay' }
  | { kind: 'refundedElsewhere' }
  | { kind: 'deadlinePasses' }
  /**
   * The races (sent at the deadline, or together): who wins is Temporal's timing, so the model takes the product's
   * answer to `markPaid` (`raced`) and then holds it to that branch: accepted → PAID and never reversed; refused →
   * stopped, reversed by the query.
   */
  | { kind: 'markPaidAtDeadline'; raced?: Answer }
  | { kind: 'cancelRacesMarkPaid'; raced?: Answer }
  /** A pay call's debit lands at the deadline, whether or not the order has seen its timer yet: inside the window. */
  | { kind: 'payLandsAtDeadline' };

/** What the checkout must see from a command (undefined: nothing to see). */
export type Answer = 'accepted' | 'refused' | 'alreadyStarted' | undefined;

/** The readable form of a command, as it is written in a test case (`payLands('late')`). */
export function describeCommand(c: ModelCommand): string {
  return c.kind === 'payLands' ? `payLands('${c.when}')` : `${c.kind}()`;
}

/** Whether `c` may happen now (WeChat Pay takes no debit on a closed or refunded order; a late pay needs a window). */
export function allowed(s: ModelState, c: ModelCommand): boolean {
  switch (c.kind) {
    case 'beginPayment':
    case 'markPaid':
    case 'duplicateStart':
      return true;
    case 'cancelOrder':
      return true;
    case 'deadlinePasses':
    case 'markPaidAtDeadline':
    case 'cancelRacesMarkPaid':
      // Each stops the order (or pays it); once stopped or paid the deadline has nothing more to do.
      return awaiting(s);
    case 'payLandsAtDeadline':
      return awaiting(s) && (s.peer === 'NONE' || s.peer === 'PAYING');
    case 'payHangs':
      // A pay call whose outcome is unknown (queried USERPAYING): only sent while the order waits, at a new order.
      return awaiting(s) && s.peer === 'NONE';
    case 'payLands':
      if (s.peer !== 'NONE' && s.peer !== 'PAYING') return false;
      return c.when === 'inTime' ? awaiting(s) || s.markPaid : inPayWindow(s);
    case 'closedAtWechatPay':
      // WeChat Pay closes an unpaid order (its own timeout, a failed pay call); before the order's query.
      return (s.peer === 'NONE' || s.peer === 'PAYING') && (awaiting(s) || inPayWindow(s));
    case 'refundedElsewhere':
      // Customer service refunds a paid order in the merchant portal, before the order's query.
      return s.peer === 'SUCCESS' && (awaiting(s) || inPayWindow(s));
  }
}

/** The debit of a pay call lands: every sub-order SUCCESS, one debit booked. */
function debit(s: ModelState): ModelState {
  return { ...s, peer: 'SUCCESS', ledger: [...s.ledger, 'SUCCESS'] };
}

/** Applies an allowed command: the next state and what the checkout must see. */
export function apply(s: ModelState, c: ModelCommand): { next: ModelState; answer: Answer } {
  switch (c.kind) {
    case 'beginPayment':
      // Accepted only while AWAITING_PAYMENT; refused once paid, cancelled or past the deadline.
      return awaiting(s)
        ? { next: { ...s, payments: s.payments + 1 }, answer: 'accepted' }
        : { next: s, answer: 'refused' };
    case 'markPaid':
      // Accepted while AWAITING_PAYMENT, idempotently once PAID; refused once the reversal has begun.
      if (s.markPaid) return { next: s, answer: 'accepted' };
      return awaiting(s) ? { next: { ...s, markPaid: true }, answer: 'accepted' } : { next: s, answer: 'refused' };
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
      return { next: s, answer: 'alreadyStarted' };
    case 'payHangs':
      return { next: { ...s, peer: 'PAYING' }, answer: undefined };
    case 'payLands':
      return { next: debit(s), answer: undefined };
    case 'closedAtWechatPay':
      return { next: { ...s, peer: 'CLOSED' }, answer: undefined };
    case 'refundedElsewhere':
      return { next: { ...s, peer: 'REFUND', ledger: [...s.ledger, 'REFUND'] }, answer: undefined };
  }
}

/** The end an order must reach, and what WeChat Pay and the order service must show then. */
export interface End {
  phase: 'PAID' | 'REVERSED' | 'NEEDS_ATTENTION';
  /** PAID: who said so. */
  paidSource?: 'MARK_PAID' | 'WECHATPAY_QUERY';
  /** NEEDS_ATTENTION: the step and the failure type. */
  attention?: { step: string; reason: string };
  /** REVERSED: what the result says of the reverse (`NOT_NEEDED`: none sent). */
  reverseOutcome?: 'NOT_NEEDED' | 'REVERSED' | 'ORDER_NOT_FOUND';
  /** The tradeState each sub-order was compensated with (undefined: never compensated). */
  compensatedAs?: 'CLOSED' | 'REFUND' | 'NOT_FOUND';
  /** The compensation's reason. */
  reason?: 'PAYMENT_TIMEOUT' | 'CANCELLED';
  /** Reverse requests sent to WeChat Pay: none, or at least one. */
  reversed: boolean;
  /** A payment confirmation (ADOPT) was sent. */
  confirmed: boolean;
  /** WeChat Pay's final state of the order. */
  peer: PeerState;
  /** WeChat Pay's ledger for each sub-order of this order. */
  ledger: string[];
}

/**
 * The end of an order after the commands (a deadline that has not passed passes now): markPaid wins; otherwise the
 * first query after the pay window decides, by the decision table of docs/reference.md.
 */
export function expectedEnd(state: ModelState): End {
  const s = state.markPaid || state.stop ? state : apply(state, { kind: 'deadlinePasses' }).next;
  const none = { reversed: false, confirmed: false, peer: s.peer, ledger: s.ledger };
  if (s.markPaid) return { phase: 'PAID', paidSource: 'MARK_PAID', ...none };
  const reason = s.stop === 'cancelled' ? 'CANCELLED' : 'PAYMENT_TIMEOUT';
  switch (s.peer) {
    case 'CLOSED':
      // NOTHING_TO_REVERSE: no reverse call; compensated with the state the query saw.
      return { phase: 'REVERSED', reverseOutcome: 'NOT_NEEDED', compensatedAs: 'CLOSED', reason, ...none };
    case 'REFUND':
      // REFUNDED_BEFORE_REVERSE: an operator settles it; nothing compensated.
      return { phase: 'NEEDS_ATTENTION', attention: { step: 'QUERY', reason: 'REFUNDED_BEFORE_REVERSE' }, ...none };
    case 'SUCCESS':
      if (s.onPaid === 'ADOPT') return { phase: 'PAID', paidSource: 'WECHATPAY_QUERY', ...none, confirmed: true };
      // Reversing a paid order refunds it: the confirming query shows REFUND, the ledger a reverse of the debit.
      return {
        phase: 'REVERSED',
        reverseOutcome: 'REVERSED',
        compensatedAs: 'REFUND',
        reason,
        reversed: true,
        confirmed: false,
        peer: 'REFUND',
        ledger: [...s.ledger, 'REVOKED'],
      };
    case 'PAYING':
      // An unknown outcome (USERPAYING) is reversed: WeChat Pay closes it; no money moved.
      return {
        phase: 'REVERSED',
        reverseOutcome: 'REVERSED',
        compensatedAs: 'CLOSED',
        reason,
        ...none,
        reversed: true,
        peer: 'CLOSED',
      };
    case 'NONE':
      // No such order, never shown: the reverse's signed ORDER_NOT_EXIST, confirmed absent after the window.
      return {
        phase: 'REVERSED',
        reverseOutcome: 'ORDER_NOT_FOUND',
        compensatedAs: 'NOT_FOUND',
        reason,
        ...none,
        reversed: true,
      };
  }
}

/** What the test observed of one order at its end (the same shape as {@link End}, per sub-order where it differs). */
export interface Observed extends Omit<End, 'compensatedAs' | 'ledger'> {
  /** Each sub-order's compensation tradeState (undefined: not compensated) and how many took effect. */
  compensations: { tradeState?: string; effective: number }[];
  /** Each sub-order's ledger at WeChat Pay. */
  ledgers: string[][];
  /** markPaid was accepted at least once. */
  markPaidAccepted: boolean;
}

/**
 * The money promises (the chaos invariants' rules, their wording) on an observed end, whatever the model expects:
 * violations as `rule <x> (<name>): <what>`.
 */
export function moneyViolations(o: Observed): string[] {
  const out: string[] = [];
  const kept = o.peer === 'SUCCESS' || o.peer === 'PAYING';
  const compensated = o.compensations.filter((c) => c.effective > 0);
  // b/c: compensation only after a clean query; the compensated state is WeChat Pay's state.
  if (compensated.length > 0 && kept) {
    out.push(`rule c (compensated state is WeChat Pay state): compensated while WeChat Pay keeps ${o.peer}`);
  }
  for (const c of compensated) {
    const peerState = o.peer === 'NONE' ? 'NOT_FOUND' : o.peer;
    if (c.tradeState !== peerState) {
      out.push(
        `rule c (compensated state is WeChat Pay state): compensated as ${c.tradeState}, WeChat Pay has ${peerState}`,
      );
    }
  }
  // e: adopted orders, never after a reverse.
  if (o.paidSource === 'WECHATPAY_QUERY' && (o.reversed || compensated.length > 0)) {
    out.push('rule e (adopted orders, never after a reverse): adopted as paid, yet reversed or compensated');
  }
  if (o.confirmed && o.paidSource !== 'WECHATPAY_QUERY') {
    out.push('rule e (adopted orders, never after a reverse): payment confirmation for an order not adopted');
  }
  // f: markPaid wins; never PAID without markPaid or a debit kept (ADOPT).
  if (o.markPaidAccepted && o.phase !== 'PAID')
    out.push(`rule f (markPaid wins): markPaid accepted, yet ended ${o.phase}`);
  if (o.markPaidAccepted && o.reversed) out.push('rule f (markPaid wins): markPaid accepted, yet reversed');
  if (o.phase === 'PAID' && !o.markPaidAccepted && (o.paidSource !== 'WECHATPAY_QUERY' || o.peer !== 'SUCCESS')) {
    out.push(`rule f (markPaid wins): PAID without markPaid or ADOPT of a debit kept (WeChat Pay has ${o.peer})`);
  }
  // g: each sub-order of a REVERSED order compensated exactly once; no other order compensated.
  if (o.phase === 'REVERSED' && o.compensations.some((c) => c.effective !== 1)) {
    out.push(`rule g (compensated exactly once): ${o.compensations.map((c) => c.effective).join('/')} compensations`);
  }
  if (o.phase !== 'REVERSED' && compensated.length > 0) {
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
  same('reverse sent', expected.reversed, o.reversed);
  same('payment confirmation', expected.confirmed, o.confirmed);
  same('WeChat Pay state', expected.peer, o.peer);
  o.compensations.forEach((c, i) => {
    same(`sub-order ${i + 1} compensated as`, expected.compensatedAs, c.effective > 0 ? c.tradeState : undefined);
  });
  o.ledgers.forEach((l, i) => same(`sub-order ${i + 1} ledger`, expected.ledger, l));
  return out;
}
