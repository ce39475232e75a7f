/**
 * What happens to a peer's order: a debit lands (now, or late, after a "no such order" answer), a reverse refunds
 * or closes it sub-order by sub-order.
 */
import {
  FINAL_STATES,
  PAID_STATES,
  newOrder,
  newTransactionId,
  subStateOf,
  type LatePayTrigger,
  type OrderBook,
  type OrderEffect,
  type SimOrder,
  type TradeState,
} from './peer-order-state';

/** What a reverse did to an order. */
export type ReverseOutcome = { repeat: true } | { repeat: false; from: TradeState; to: TradeState };

/** A debit lands: every sub-order is paid (SUCCESS), with a fresh transaction id. */
export function landDebit(order: SimOrder): void {
  delete order.subStates;
  delete order.refundVisibleAt;
  order.state = 'SUCCESS';
  order.transactionId = newTransactionId();
  order.paidAt = new Date().toISOString();
}

/**
 * Reverses an order, sub-order by sub-order: paid (SUCCESS) → REFUND; not paid (PAYING, NOTPAY, USERPAYING, ACCEPT,
 * PAYERROR) → CLOSED; CLOSED, REVOKED and REFUND stay. When nothing changes, it is a repeat. The order-level state
 * becomes REFUND if any sub-order was refunded, else CLOSED; overrides that all agree collapse into it. With
 * `refundLagMs` > 0, each refund becomes visible to the query only that long after now (`refundVisibleAt`).
 */
export function reverseOrder(order: SimOrder, refundLagMs = 0): ReverseOutcome {
  const before = order.subOrders.map((s) => subStateOf(order, s.out_trade_no));
  if (before.every((s) => FINAL_STATES.has(s))) return { repeat: true };
  const after = before.map((s): TradeState => (FINAL_STATES.has(s) ? s : s === 'SUCCESS' ? 'REFUND' : 'CLOSED'));
  const from = order.state;
  const to: TradeState = after.includes('REFUND') ? 'REFUND' : 'CLOSED';
  const uniform = after.every((s) => s === after[0]);
  order.state = uniform ? after[0]! : to;
  if (uniform) delete order.subStates;
  else order.subStates = Object.fromEntries(order.subOrders.map((s, i) => [s.out_trade_no, after[i]!]));
  order.reversedAt = new Date().toISOString();
  if (refundLagMs > 0) delayRefunds(order, before, refundLagMs);
  return { repeat: false, from, to: order.state };
}

/**
 * Lands the debit of a pay call scripted `LAND_LATE` if the order still awaits it (no sub-order paid, refunded,
 * closed or revoked): every sub-order SUCCESS, as {@link landDebit}. The effect; undefined when something got there
 * first (a reverse, an admin change), and nothing changes.
 */
export function landAwaitedDebit(order: SimOrder): OrderEffect | undefined {
  const states = order.subOrders.map((s) => subStateOf(order, s.out_trade_no));
  if (states.some((s) => FINAL_STATES.has(s) || PAID_STATES.has(s))) return undefined;
  const from = order.state;
  landDebit(order);
  return { from, to: 'SUCCESS' };
}

/** Notes when the refund of each sub-order that was paid (`before`, in sub-order order) becomes visible. */
function delayRefunds(order: SimOrder, before: TradeState[], refundLagMs: number): void {
  const visibleAt = new Date(Date.now() + refundLagMs).toISOString();
  order.subOrders.forEach((s, i) => {
    if (before[i] === 'SUCCESS') (order.refundVisibleAt ??= {})[s.out_trade_no] = visibleAt;
  });
}

/**
 * Lands the late pay scheduled for order `no` if it waits for `trigger` (the "no such order" answer being given):
 * the order now exists, paid. Whether one landed.
 */
export function landLatePay(book: OrderBook, no: string, trigger: LatePayTrigger): boolean {
  const late = book.latePays.get(no);
  if (late?.after !== trigger) return false;
  book.latePays.delete(no);
  book.orders.set(no, newOrder(late, 'SUCCESS'));
  return true;
}
