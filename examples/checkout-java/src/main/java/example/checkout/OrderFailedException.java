package example.checkout;

/**
 * The order's workflow failed instead of returning a result, e.g. {@code INVALID_ORDER_INPUT} for an input only the
 * workflow could refuse.
 */
public final class OrderFailedException extends OrderException {
  private static final long serialVersionUID = 1L;
  private final String failureType;
  private final String failureMessage;

  /**
   * A failed workflow.
   *
   * @param combineOutTradeNo the order
   * @param failureType the ApplicationFailure type (or TERMINATED, TIMED_OUT, CANCELED)
   * @param failureMessage the failure's own message
   * @param cause the SDK's error
   */
  public OrderFailedException(
      String combineOutTradeNo, String failureType, String failureMessage, Throwable cause) {
    super(combineOutTradeNo, failureType + ": " + failureMessage, cause);
    this.failureType = failureType;
    this.failureMessage = failureMessage;
  }

  /**
   * The failure type, e.g. {@code INVALID_ORDER_INPUT}: match on this, never on the message.
   *
   * @return the type
   */
  public String failureType() {
    return failureType;
  }

  /**
   * The failure's own message (without the type).
   *
   * @return the message
   */
  public String failureMessage() {
    return failureMessage;
  }
}
