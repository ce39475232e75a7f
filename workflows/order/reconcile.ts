/**
 * The money decision, as pure functions of a signed query answer: what to do before the reverse, and whether a sent
 * reverse is confirmed. The table they implement: docs/reference.md#decision-table. Unit-tested row by row
 * (test/unit/reconcile.test.ts).
 */
import {
  type ConfirmedTradeState,
  OnPaidAtDeadline,
  ReconcileDecision,
  type SubOrderInput,
  TradeState,
} from '../contract';
import type { QueryResult } from '../../activities/types';

/** States that mean "nothing to reverse" before any reverse was sent. */
const CLOSED_STATES: ReadonlySet<string> = new Set([TradeState.CLOSED, TradeState.REVOKED]);
/** States that confirm a reverse: closed, reversed or refunded. */
const CONFIRMED_STATES: ReadonlySet<string> = new Set([TradeState.CLOSED, TradeState.REVOKED, TradeState.REFUND]);

/**
 * Each of the order's sub-orders with the state the query shows for it (`undefined` when the answer leaves it out:
 * not settled). Matched by `outTradeNo`.
 */
function statesBySubOrder(query: QueryResult, subOrders: readonly SubOrderInput[]): (string | undefined)[] {
  if (!query.found) return subOrders.map(() => undefined);
  const seen = new Map(query.subOrders.map((s) => [s.outTradeNo, s.tradeState]));
  return subOrders.map((s) => seen.get(s.outTradeNo));
}

/**
 * Before any reverse of ours: every sub-order CLOSED/REVOKED → nothing to reverse; any sub-order REFUND → refunded
 * elsewhere (an operator decides); every sub-order SUCCESS and `ADOPT` → adopt; otherwise (any SUCCESS with
 * `REFUND`, a mix, not settled, unknown states, not found) → reverse.
 */
export function decideBeforeReverse(
  query: QueryResult,
  subOrders: readonly SubOrderInput[],
  onPaidAtDeadline: OnPaidAtDeadline,
): ReconcileDecision {
  const states = statesBySubOrder(query, subOrders);
  if (query.found && states.every((s) => s !== undefined && CLOSED_STATES.has(s))) {
    return ReconcileDecision.NOTHING_TO_REVERSE;
  }
  if (states.some((s) => s === TradeState.REFUND)) return ReconcileDecision.REFUNDED_BEFORE_REVERSE;
  if (onPaidAtDeadline === OnPaidAtDeadline.ADOPT && query.found && states.every((s) => s === TradeState.SUCCESS)) {
    return ReconcileDecision.ADOPT;
  }
  return ReconcileDecision.REVERSE;
}

/**
 * Once a reverse was sent (accepted, refused or timed out; the pay window has closed): confirmed when every sub-order
 * is CLOSED/REVOKED/REFUND, or when WeChat Pay does not know the order and never showed it existed (`existed`: a
 * query found it, or a reverse of it was accepted with 204 or "already closed"); "no such order" after that is a
 * contradiction, never proof.
 */
export function decideAfterReverse(
  query: QueryResult,
  subOrders: readonly SubOrderInput[],
  existed: boolean,
): ReconcileDecision {
  if (!query.found) return existed ? ReconcileDecision.NOT_FOUND_AFTER_FOUND : ReconcileDecision.CONFIRMED;
  const states = statesBySubOrder(query, subOrders);
  return states.every((s) => s !== undefined && CONFIRMED_STATES.has(s))
    ? ReconcileDecision.CONFIRMED
    : ReconcileDecision.NOT_CONFIRMED;
}

/** The order's sub-orders the query shows in REFUND (by `outTradeNo`, input order). */
export function refundedSubOrders(query: QueryResult, subOrders: readonly SubOrderInput[]): string[] {
  const states = statesBySubOrder(query, subOrders);
  return subOrders.filter((_, i) => states[i] === TradeState.REFUND).map((s) => s.outTradeNo);
}

/**
 * The confirmed state of each sub-order, for its compensation; only call it on a query that
 * {@link decideBeforeReverse} or {@link decideAfterReverse} found settled.
 */
export function confirmedStates(query: QueryResult, subOrders: readonly SubOrderInput[]): ConfirmedTradeState[] {
  return statesBySubOrder(query, subOrders).map((s) =>
    s === TradeState.CLOSED || s === TradeState.REVOKED || s === TradeState.REFUND ? s : 'NOT_FOUND',
  );
}

/** The query in one short line for the status: `NOT_FOUND`, or `S1 CLOSED, S2 CLOSED` (unlisted: `?`). */
export function summarizeQuery(query: QueryResult, subOrders: readonly SubOrderInput[]): string {
  if (!query.found) return `NOT_FOUND (${query.code})`;
  const states = statesBySubOrder(query, subOrders);
  const first = states[0];
  if (states.length > 1 && states.every((s) => s === first)) return `all ${states.length} ${first ?? '?'}`;
  return subOrders.map((s, i) => `${s.outTradeNo} ${states[i] ?? '?'}`).join(', ');
}
