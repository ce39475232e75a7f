/** The client's typed errors: each says what happened to the order and what the caller should do. */
import type { ValidationIssue } from '../workflows/validation';
import { formatIssues } from '../workflows/validation';
import { ErrorType } from '../workflows/contract';

/** The input broke a rule; `issues` names every bad field. */
export class OrderInputError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(`invalid order input: ${formatIssues(issues)}`);
    this.name = 'OrderInputError';
  }
}

/** An order's Update was refused; the message is the workflow's own reason. */
export class OrderUpdateRefusedError extends Error {
  constructor(
    readonly combineOutTradeNo: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'OrderUpdateRefusedError';
  }
}

/** `markPaid` was refused: the reversal has begun (any money taken comes back through the reverse). */
export class MarkPaidRefusedError extends OrderUpdateRefusedError {
  override name = 'MarkPaidRefusedError';
}

/** `beginPayment` was refused: the reversal has begun (or the order is paid), so the pay call must not be sent. */
export class BeginPaymentRefusedError extends OrderUpdateRefusedError {
  override name = 'BeginPaymentRefusedError';
}

/**
 * A start or Update-With-Start reached the order's running run, whose terms differ from this call's input: nothing was
 * started or changed, and the checkout must not send a pay call on its own terms.
 */
export class OrderInputConflictError extends Error {
  readonly type = ErrorType.ORDER_INPUT_CONFLICT;
  constructor(
    readonly combineOutTradeNo: string,
    /** The input fields that differ from the running order's (`subOrders`, `paymentTimeout`, …). */
    readonly fields: string[],
  ) {
    super(
      `order ${combineOutTradeNo} is already running with other terms: ${fields.join(', ')} differ from this ` +
        "call's input. The running order keeps its own; send no pay call on this input (check which is right).",
    );
    this.name = 'OrderInputConflictError';
  }
}

/**
 * The order's workflow exists but ended without an outcome (FAILED, TERMINATED, TIMED_OUT, CANCELED): nobody will
 * reverse this order. Start it again with `{ restartIfEnded: true }` (`combine-papay-order start --restart …`) once the
 * cause is understood, or handle the order by hand.
 */
export class OrderRunEndedError extends Error {
  constructor(
    readonly combineOutTradeNo: string,
    readonly workflowId: string,
    readonly runStatus: string,
  ) {
    super(
      `order ${combineOutTradeNo} has a workflow (${workflowId}) that ended ${runStatus}: it will not be reversed. ` +
        'Start it again with restartIfEnded (combine-papay-order start --restart …) or handle the order by hand.',
    );
    this.name = 'OrderRunEndedError';
  }
}

/**
 * No answer within the call's deadline (`timeoutMs`): no worker polls the order's task queue, or the Temporal
 * service is unreachable. For `beginPayment` it means: do not send the pay call. Every call is idempotent: retry it
 * (an Update that reaches the workflow later acts as if it had been answered; a late `beginPayment` only keeps the
 * pay window open longer).
 */
export class OrderNotAnsweringError extends Error {
  constructor(
    readonly combineOutTradeNo: string,
    readonly call: string,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(
      `order ${combineOutTradeNo}: ${call} had no answer within ${timeoutMs} ms (is a worker polling the task queue, ` +
        'and is the Temporal service reachable?); it is safe to retry',
      options,
    );
    this.name = 'OrderNotAnsweringError';
  }
}
