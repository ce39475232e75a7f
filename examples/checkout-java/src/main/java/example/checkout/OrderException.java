package example.checkout;

/** Base of the client's typed errors: each says what happened to which order and what the caller should do. */
public class OrderException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String combineOutTradeNo;

  /**
   * An error about one order.
   *
   * @param combineOutTradeNo the order, or null when the input had none
   * @param message what happened
   * @param cause the underlying error, or null
   */
  public OrderException(String combineOutTradeNo, String message, Throwable cause) {
    super(message, cause);
    this.combineOutTradeNo = combineOutTradeNo;
  }

  /**
   * The order the error is about.
   *
   * @return the combined order number, or null
   */
  public String combineOutTradeNo() {
    return combineOutTradeNo;
  }
}
