package example.checkout;

/**
 * {@code markPaid} was refused: the reversal has begun (any money taken comes back through the reverse), or the order
 * already ended another way.
 */
public final class MarkPaidRefusedException extends OrderUpdateRefusedException {
  private static final long serialVersionUID = 1L;

  /**
   * A refused confirmation.
   *
   * @param combineOutTradeNo the order
   * @param reason the workflow's reason
   * @param cause the SDK's error, or null
   */
  public MarkPaidRefusedException(String combineOutTradeNo, String reason, Throwable cause) {
    super(combineOutTradeNo, OrderContract.MARK_PAID, reason, cause);
  }
}
