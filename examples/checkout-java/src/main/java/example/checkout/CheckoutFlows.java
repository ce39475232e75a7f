package example.checkout;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * What each mode of the command-line program does with an order, on the typed {@link OrderClient}. The pay call to
 * WeChat Pay is simulated: a real checkout sends it where {@code PAY_CALL} is printed.
 */
final class CheckoutFlows {
  /** Exit code: the order's result was printed. */
  static final int OK = 0;
  /** Exit code: the order's workflow failed (or its run ended without an outcome). */
  static final int FAILED = 2;

  private final OrderClient orders;
  private final Protocol out;

  CheckoutFlows(OrderClient orders, Protocol out) {
    this.orders = orders;
    this.out = out;
  }

  /** {@code pay}: Update-With-Start (start + beginPayment), the pay call answers paid, markPaid. */
  int pay(OrderInput input) {
    String no = input.combineOutTradeNo();
    if (startAndBeginPayment(input)) {
      String transactionId = "42000000" + System.currentTimeMillis();
      out.json("PAY_CALL", Map.of("answer", "SUCCESS", "transactionId", transactionId));
      markPaid(no, new MarkPaidDetails(transactionId, "pay-response", null));
    }
    return finish(no);
  }

  /**
   * {@code timeout}: Update-With-Start, the pay call's answer is lost (no markPaid); once the deadline passed, a
   * retried beginPayment and a late markPaid are both refused.
   */
  int timeout(OrderInput input) throws InterruptedException {
    String no = input.combineOutTradeNo();
    if (startAndBeginPayment(input)) {
      out.json("PAY_CALL", Map.of("answer", "TIMEOUT"));
      awaitLeavingAwaitingPayment(no, Duration.ofMinutes(5));
      if (beginPayment(no, "attempt-2")) {
        throw new IllegalStateException("beginPayment was accepted after the order stopped waiting for payment");
      }
      markPaid(no, new MarkPaidDetails(null, "late-query", null));
    }
    return finish(no);
  }

  /** {@code start} / {@code start-unchecked}: start (or join) the order, then read its status and result. */
  int start(OrderInput input, boolean validate) {
    StartedOrder started = validate ? orders.startOrder(input) : orders.startOrderUnchecked(input);
    if (started.alreadyStarted()) {
      out.json("ALREADY_STARTED", Map.of("workflowId", started.workflowId()));
    } else {
      out.json("STARTED", Map.of("workflowId", started.workflowId(), "runId", started.runId()));
    }
    return finish(input.combineOutTradeNo());
  }

  /** Starts (or joins) the order and announces the first pay call; true when the pay call may be sent. */
  private boolean startAndBeginPayment(OrderInput input) {
    try {
      StartedPayment started = orders.startOrderAndBeginPayment(input, BeginPaymentDetails.attempt("attempt-1"));
      if (started.alreadyStarted()) {
        out.json("ALREADY_STARTED", Map.of("workflowId", started.workflowId()));
      } else {
        out.json("STARTED", Map.of("workflowId", started.workflowId(), "runId", started.runId()));
      }
      out.json("BEGIN_PAYMENT", started.payment());
      return true;
    } catch (BeginPaymentRefusedException e) {
      out.line("REFUSED", e.update() + ": " + e.getMessage());
      return false;
    }
  }

  /** Announces a pay call; true when it may be sent. */
  private boolean beginPayment(String no, String attemptId) {
    try {
      out.json("BEGIN_PAYMENT", orders.beginPayment(no, BeginPaymentDetails.attempt(attemptId)));
      return true;
    } catch (BeginPaymentRefusedException e) {
      out.line("REFUSED", e.update() + ": " + e.getMessage());
      return false;
    }
  }

  /** Confirms the order paid; prints MARK_PAID or the refusal. */
  private void markPaid(String no, MarkPaidDetails details) {
    try {
      out.json("MARK_PAID", orders.markPaid(no, details));
    } catch (MarkPaidRefusedException e) {
      out.line("REFUSED", e.update() + ": " + e.getMessage());
    }
  }

  /** Polls the status until the order leaves AWAITING_PAYMENT (its deadline passed); prints the new phase. */
  private void awaitLeavingAwaitingPayment(String no, Duration limit) throws InterruptedException {
    Instant until = Instant.now().plus(limit);
    while (Instant.now().isBefore(until)) {
      OrderPhase phase = orders.orderStatus(no).phase();
      if (phase != OrderPhase.AWAITING_PAYMENT) {
        out.line("PHASE", phase.name());
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("order " + no + " did not leave AWAITING_PAYMENT within " + limit);
  }

  /** Prints the status and waits for the result: RESULT (exit 0) or FAILED (exit 2). */
  private int finish(String no) {
    try {
      out.json("STATUS", orders.orderStatus(no));
    } catch (OrderNotAnsweringException e) {
      throw e;
    } catch (RuntimeException e) {
      // A workflow that failed at its first task (bad input) never installed its query handler.
      Throwable cause = e;
      while (cause.getCause() != null && cause.getCause() != cause) cause = cause.getCause();
      out.line("STATUS_UNAVAILABLE", String.valueOf(cause.getMessage()));
    }
    try {
      out.json("RESULT", orders.resultJson(no));
      return OK;
    } catch (OrderFailedException e) {
      out.line("FAILED", e.failureType() + ": " + e.failureMessage());
      return FAILED;
    }
  }
}
