/**
 * The sentences an operator reads: what the order waits for (the status's `waitingFor`, the Web UI's current
 * details), why it waits for an operator, and the messages of the failures the lifecycle itself records. Kept here so
 * that the lifecycle's control flow reads without them. Deterministic code only.
 */
import type { AttentionStep, FailureInfo, QueryPurpose, ReverseStatus } from '../contract';

/** Waiting for markPaid (AWAITING_PAYMENT). */
export function waitingForPayment(deadline: string): string {
  return `Waiting for markPaid until the payment deadline ${deadline}; without it the order is reconciled with WeChat Pay and reversed.`;
}

/** Querying WeChat Pay, before deciding or to confirm a reverse. */
export function querying(purpose: QueryPurpose): string {
  return purpose === 'CONFIRM'
    ? 'Confirming the reverse: querying WeChat Pay until it shows every sub-order closed, reversed or refunded.'
    : 'Querying WeChat Pay (signed GET) to learn whether the order was paid before deciding.';
}

/** Sending a reverse. */
export function reversing(why: string): string {
  return `Reversing at WeChat Pay because ${why}: a signed POST, retried until an accepted answer.`;
}

/** Waiting until every pay call may have landed. */
export function waitingForPayWindow(
  why: string,
  notBefore: string,
  windowStart: NonNullable<ReverseStatus['windowStart']>,
): string {
  const sent = windowStart.by === 'beginPayment' ? 'sent at' : 'sent until';
  return `Waiting for the pay window until ${notBefore} (${why}): a pay call ${sent} ${windowStart.at} may still land.`;
}

/** "No such order" for an order WeChat Pay showed (said while pausing, and as the failure after the last round). */
function contradiction(seen: string, existsSince: string | undefined): string {
  return `WeChat Pay answers "no such order" (${seen}) for an order it showed on ${existsSince ?? '?'}`;
}

/** Pausing before the next reverse-and-confirm round. */
export function pausingBeforeNextRound(
  seen: string,
  existsSince: string | undefined,
  notFound: boolean,
  pause: string,
): string {
  return notFound
    ? `${contradiction(seen, existsSince)}: querying again after ${pause}.`
    : `The reverse is not confirmed yet (${seen}): reversing again after ${pause}.`;
}

/** Compensating the sub-orders not yet done. */
export function compensating(pending: number, total: number, reverseOutcome: string): string {
  return `Compensating ${pending} of ${total} sub-orders downstream (reverse ${reverseOutcome}).`;
}

/** Why an operator must decide, by the step that is stuck. */
export function attentionReason(step: AttentionStep, failure: FailureInfo, failedCount: number): string {
  const detail = `${failure.type}: ${failure.message}`;
  return {
    EARLIER_RUN: `an earlier run of this order's workflow id has closed and nothing may move money twice (${detail})`,
    QUERY: `the query cannot succeed by retrying (${detail})`,
    REVERSE: `the reverse cannot succeed by retrying (${detail})`,
    CONFIRM: `WeChat Pay did not confirm the reverse (${detail})`,
    COMPENSATION: `${failedCount} sub-order compensation(s) failed (${detail})`,
    PAYMENT_CONFIRMATION: `the adopted payment could not be announced downstream (${detail})`,
  }[step];
}

/** Waiting for an operator (NEEDS_ATTENTION). */
export function waitingForOperator(reason: string): string {
  return `Waiting for an operator because ${reason}. Signal "retry" to drive it again, or "resolve" with a note once handled by hand.`;
}

/** The message of EARLIER_RUN_ENDED: the earlier runs, and whether one of them ended the order. */
export function earlierRunsMessage(runs: string, completed: boolean): string {
  return (
    `this order's workflow id has earlier closed run(s): ${runs}; ` +
    (completed
      ? 'one of them ended the order (paid, reversed or resolved), so this run is a second start of it'
      : "this run is not the client's restart of the newest one") +
    '. Resolve it with a note, or retry once you have confirmed this is a new order'
  );
}

/** The message of REFUNDED_BEFORE_REVERSE. */
export function refundedBeforeReverseMessage(refunded: string[]): string {
  return (
    `sub-order(s) ${refunded.join(', ')} show REFUND before any reverse of ours: a refund was started elsewhere ` +
    '(e.g. customer service in the merchant portal), and the query cannot tell a partial refund from a full one; ' +
    'settle the order by hand, then resolve it with a note'
  );
}

/** The message of NOT_FOUND_AFTER_FOUND after the last round. */
export function notFoundAfterFoundMessage(seen: string, existsSince: string | undefined): string {
  return `${contradiction(seen, existsSince)}: a contradiction proves nothing; check the order in the merchant portal`;
}
