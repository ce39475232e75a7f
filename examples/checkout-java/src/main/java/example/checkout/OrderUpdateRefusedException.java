package example.checkout;

/** The workflow refused an Update; the message is the workflow's own reason. */
public class OrderUpdateRefusedException extends OrderException {
  private static final long serialVersionUID = 1L;
  private final String update;

  /**
   * A refused Update.
   *
   * @param combineOutTradeNo the order
   * @param update the Update's name
   * @param reason the workflow's reason
   * @param cause the SDK's error, or null
   */
  public OrderUpdateRefusedException(String combineOutTradeNo, String update, String reason, Throwable cause) {
    super(combineOutTradeNo, reason, cause);
    this.update = update;
  }

  /**
   * The refused Update.
   *
   * @return its name, e.g. {@code beginPayment}
   */
  public String update() {
    return update;
  }
}
