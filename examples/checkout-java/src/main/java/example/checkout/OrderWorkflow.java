package example.checkout;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * The order workflow as a typed Temporal stub. The workflow itself runs in the product's (TypeScript) worker; this
 * interface only names its contract so that calls are typed: nothing here is ever implemented in Java.
 */
@WorkflowInterface
public interface OrderWorkflow {
  /**
   * Runs the order to its end.
   *
   * @param input the order
   * @return the outcome: PAID, REVERSED or RESOLVED_MANUALLY
   */
  @WorkflowMethod(name = OrderContract.WORKFLOW_TYPE)
  OrderResult run(OrderInput input);

  /**
   * Announces a pay call about to be sent. Send the pay call only when this returns.
   *
   * @param details what the call carries, for the record (may be empty)
   * @return until when no reverse is sent, and how many pay calls were announced
   */
  @UpdateMethod(name = OrderContract.BEGIN_PAYMENT)
  BeginPaymentResult beginPayment(BeginPaymentDetails details);

  /**
   * Confirms the order paid (idempotent once PAID).
   *
   * @param details the pay call's answer, for the record (may be empty)
   * @return the phase (PAID) and when the order was paid
   */
  @UpdateMethod(name = OrderContract.MARK_PAID)
  MarkPaidResult markPaid(MarkPaidDetails details);

  /**
   * The order's current state.
   *
   * @return the status
   */
  @QueryMethod(name = OrderContract.STATUS)
  OrderStatus status();

  /**
   * Abandons the order: it is reconciled and reversed now.
   *
   * @param reason why, shown in the status (may be null)
   */
  @SignalMethod(name = OrderContract.CANCEL_ORDER)
  void cancelOrder(String reason);

  /** Operator: in NEEDS_ATTENTION, drive the failed step again. */
  @SignalMethod(name = OrderContract.RETRY)
  void retry();

  /**
   * Operator: in NEEDS_ATTENTION, close the order as handled by hand.
   *
   * @param note what was done (required, printable text)
   */
  @SignalMethod(name = OrderContract.RESOLVE)
  void resolve(String note);
}
