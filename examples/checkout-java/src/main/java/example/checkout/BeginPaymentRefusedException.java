package example.checkout;

/**
 * {@code beginPayment} was refused: the reversal has begun, the order is paid or it has ended. Do not send the pay
 * call.
 */
public final class BeginPaymentRefusedException extends OrderUpdateRefusedException {
  private static final long serialVersionUID = 1L;

  /**
   * A refused pay-call announcement.
   *
   * @param combineOutTradeNo the order
   * @param reason the workflow's reason (or "beginPayment refused: the order has ended")
   * @param cause the SDK's error, or null
   */
  public BeginPaymentRefusedException(String combineOutTradeNo, String reason, Throwable cause) {
    super(combineOutTradeNo, OrderContract.BEGIN_PAYMENT, reason, cause);
  }
}
