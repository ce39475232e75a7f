package example.checkout;

import java.time.Duration;

/**
 * No answer within the call's deadline: no worker polls the order's task queue, or the Temporal service is
 * unreachable. For {@code beginPayment} it means: do not send the pay call. Every call is idempotent: retry it.
 */
public final class OrderNotAnsweringException extends OrderException {
  private static final long serialVersionUID = 1L;
  private final String call;
  private final Duration timeout;

  /**
   * A call that had no answer in time.
   *
   * @param combineOutTradeNo the order
   * @param call the call, e.g. {@code beginPayment}, {@code status}
   * @param timeout the deadline it had
   * @param cause the SDK's timeout error
   */
  public OrderNotAnsweringException(String combineOutTradeNo, String call, Duration timeout, Throwable cause) {
    super(combineOutTradeNo, message(combineOutTradeNo, call, timeout), cause);
    this.call = call;
    this.timeout = timeout;
  }

  private static String message(String combineOutTradeNo, String call, Duration timeout) {
    String advice =
        OrderContract.BEGIN_PAYMENT.equals(call) ? "; do not send the pay call; retry" : "; it is safe to retry";
    return "no worker answered "
        + call
        + " for order "
        + combineOutTradeNo
        + " within "
        + timeout.toMillis()
        + " ms (is a worker polling the task queue, and is the Temporal service reachable?)"
        + advice;
  }

  /**
   * The call that had no answer.
   *
   * @return its name
   */
  public String call() {
    return call;
  }

  /**
   * The deadline the call had.
   *
   * @return the timeout
   */
  public Duration timeout() {
    return timeout;
  }
}
